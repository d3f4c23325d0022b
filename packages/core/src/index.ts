/**
 * `@tandem/core`: the event-loop front end. Users import everything from here; it re-exports
 * what they need of `@tandem/workers`.
 *
 * @module
 */
export { Engine } from './engine.js';
export type { EngineOptions, EngineStats, Settled } from './engine.js';
export { LoopDelayMonitor } from './diagnostics/loop-delay.js';
export type { LoopDelay } from './diagnostics/loop-delay.js';

export {
  InvalidArgumentError,
  InvalidTaskModuleError,
  MapItemError,
  OutOfRangeError,
  PoolClosedError,
  PoolDestroyedError,
  QueueFullError,
  RemoteTaskError,
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
  defaultThreads,
  defineTasks,
  moveResult,
  registerError,
} from '@tandem/workers';
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
