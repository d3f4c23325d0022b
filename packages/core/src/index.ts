/**
 * `@tandem/core`: the event-loop front end. Users import everything from here; it re-exports
 * what they need of `@tandem/workers`.
 *
 * @module
 */

export type {
  CallOptions,
  MapOptions,
  PoolStats,
  RunOptions,
  ServiceApi,
  TaskContext,
  TaskInput,
  TaskModule,
  TaskResult,
  TasksOf,
  WorkerPoolOptions,
} from '@tandem/workers';
export {
  defaultThreads,
  defineTasks,
  InvalidArgumentError,
  InvalidTaskModuleError,
  MapItemError,
  moveResult,
  OutOfRangeError,
  PoolClosedError,
  PoolDestroyedError,
  QueueFullError,
  RemoteTaskError,
  registerError,
  Service,
  ServiceClosedError,
  TandemError,
  TaskModuleLoadError,
  TaskTimeoutError,
  UncloneableInputError,
  UncloneableResultError,
  UnknownTaskError,
  WorkerCrashedError,
  WorkerPool,
} from '@tandem/workers';
export type { LoopDelay } from './diagnostics/loop-delay.js';
export { LoopDelayMonitor } from './diagnostics/loop-delay.js';
export type { EngineOptions, EngineStats, Settled } from './engine.js';
export { Engine } from './engine.js';
