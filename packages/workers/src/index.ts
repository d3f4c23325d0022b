/**
 * `@tandem/workers`: everything that runs in, or manages, worker threads.
 *
 * @module
 */

export type { Clock, TimerHandle } from './clock.js';
export { clock, mockTimersClock, setClock, systemClock } from './clock.js';
export type { SerializedError } from './codec.js';
export { deserializeError, registerError, serializeError } from './codec.js';
export type {
  Moved,
  TaskContext,
  TaskFunction,
  TaskInput,
  TaskMap,
  TaskModule,
  TaskResult,
  TasksOf,
} from './define.js';
export { defineTasks, moveResult } from './define.js';
export {
  InvalidArgumentError,
  InvalidTaskModuleError,
  MapItemError,
  OutOfRangeError,
  PoolClosedError,
  PoolDestroyedError,
  QueueFullError,
  RemoteTaskError,
  ServiceClosedError,
  TandemError,
  TaskModuleLoadError,
  TaskTimeoutError,
  UncloneableInputError,
  UncloneableResultError,
  UnknownTaskError,
  WorkerCrashedError,
} from './errors.js';
export type { Deferred } from './internal/deferred.js';
export { deferred } from './internal/deferred.js';
export type { MapOptions } from './map-batched.js';
export { autoBatchSize, mapBatched } from './map-batched.js';
export type { RunOptions } from './pool.js';
export { WorkerPool } from './pool.js';
export type { ResolvedPoolOptions, WorkerPoolOptions } from './pool-options.js';
export { defaultThreads } from './pool-options.js';
export type { LatencySummary, PoolStats } from './pool-stats.js';
export { summarize } from './pool-stats.js';
export type { CallOptions, MethodName, ServiceApi } from './service.js';
export { Service } from './service.js';
export {
  checkDuration,
  checkFunction,
  checkFunctions,
  checkInteger,
  checkNumber,
  checkOneOf,
  checkSignal,
} from './validate.js';
