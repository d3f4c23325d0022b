/**
 * `@tandem/workers`: everything that runs in, or manages, worker threads.
 *
 * @module
 */

export type {
  BackendFactory,
  BackendStartContext,
  BatchOutcome,
  TaskBackend,
} from './backend.js';
export { kRunBatch } from './backend.js';
export type { Clock, TimerHandle } from './clock.js';
export { clock } from './clock.js';
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
  CallbackError,
  InvalidArgumentError,
  InvalidTaskModuleError,
  MapItemError,
  OutOfRangeError,
  PoolBrokenError,
  PoolClosedError,
  PoolDestroyedError,
  QueueFullError,
  RemoteTaskError,
  ServiceClosedError,
  StartTimeoutError,
  TandemError,
  TaskModuleLoadError,
  TaskTimeoutError,
  UncloneableInputError,
  UncloneableProgressError,
  UncloneableResultError,
  UnknownTaskError,
  WorkerCrashedError,
} from './errors.js';
export type { MapOptions } from './map-batched.js';
export type { RunOptions } from './pool.js';
export { WorkerPool } from './pool.js';
export type { ResolvedPoolOptions, WorkerPoolOptions } from './pool-options.js';
export { defaultThreads } from './pool-options.js';
export type { LatencySummary, PoolStats } from './pool-stats.js';
export type { CallOptions, MethodName, ServiceApi, ServiceStartOptions } from './service.js';
export { Service } from './service.js';
export type { StrayErrorEvent } from './stray-errors.js';
export { STRAY_ERROR_CHANNEL } from './stray-errors.js';
export type { TaskOutcome, TaskSettledEvent, TaskSettledListener } from './task-events.js';
