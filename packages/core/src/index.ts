/**
 * `@tandem/core`: the event-loop front end. Users import everything from here; it re-exports
 * what they need of `@tandem/workers`.
 *
 * @module
 */

export type {
  BackendFactory,
  BackendStartContext,
  BatchOutcome,
  CallOptions,
  Clock,
  MapOptions,
  PoolStats,
  RunOptions,
  ServiceApi,
  ServiceStartOptions,
  StrayErrorEvent,
  TaskBackend,
  TaskContext,
  TaskInput,
  TaskModule,
  TaskOutcome,
  TaskResult,
  TaskSettledEvent,
  TaskSettledListener,
  TasksOf,
  WorkerPoolOptions,
} from '@tandem/workers';
export {
  CallbackError,
  clock,
  defaultThreads,
  defineTasks,
  InvalidArgumentError,
  InvalidTaskModuleError,
  MapItemError,
  moveResult,
  OutOfRangeError,
  PoolBrokenError,
  PoolClosedError,
  PoolDestroyedError,
  QueueFullError,
  RemoteTaskError,
  registerError,
  Service,
  ServiceClosedError,
  STRAY_ERROR_CHANNEL,
  StartTimeoutError,
  TandemError,
  TaskModuleLoadError,
  TaskTimeoutError,
  UncloneableInputError,
  UncloneableProgressError,
  UncloneableResultError,
  UnknownTaskError,
  WorkerCrashedError,
  WorkerPool,
} from '@tandem/workers';
export type { Channel, ChannelOptions, ChannelWaitOptions } from './channel.js';
export { channel } from './channel.js';
export type { CombinatorOptions, ConcurrentMapOptions, MapOrder, Work } from './combinators.js';
export { all, allSettled, any, asCompleted, map, race } from './combinators.js';
export type { ScopeContext, TaskInfo, TaskKind, TaskState } from './current-scope.js';
export { currentScope, formatTaskTree, tasks, trackTask } from './current-scope.js';
export type { BlockingDetector, BlockingDetectorOptions } from './diagnostics/blocking-detector.js';
export { startBlockingDetector } from './diagnostics/blocking-detector.js';
export type { BlockingEvent, LeakEvent } from './diagnostics/channels.js';
export { BLOCKING_CHANNEL, LEAK_CHANNEL } from './diagnostics/channels.js';
export type { LoopDelay } from './diagnostics/loop-delay.js';
export { LoopDelayMonitor } from './diagnostics/loop-delay.js';
export type {
  BackendEngineOptions,
  EngineOptions,
  EngineOwnOptions,
  EngineStats,
  LocalEngineOptions,
  Settled,
} from './engine.js';
export { Engine } from './engine.js';
export type { PipelineAttempt } from './errors.js';
export {
  AllFailedError,
  CancelledError,
  ChannelClosedError,
  CheckpointError,
  PipelineItemError,
  PipelineUsedError,
  RetryError,
  ScopeClosedError,
  TaskGroupError,
  TimeoutError,
} from './errors.js';
export type { PipelineReport, StageReport } from './internal/pipeline/report.js';
export type {
  AcquireOptions,
  AdaptiveOptions,
  KeyStats,
  Limiter,
  LimiterOptions,
  LimiterRunOptions,
  LimiterStats,
  Permit,
} from './limiter.js';
export { limiter } from './limiter.js';
export type { CpuTaskName, PipelineStream } from './pipeline.js';
export { Pipeline } from './pipeline.js';
export type {
  CheckpointOptions,
  CpuStageOptions,
  ErrorAction,
  IoContext,
  IoStageOptions,
  LoopStageOptions,
  OnError,
  PipelineOptions,
  PipelineProgress,
  StageInfo,
  StageKind,
  ToFileOptions,
} from './pipeline-options.js';
export type { BackoffOptions, Jitter, RetryOptions } from './retry.js';
export { retry } from './retry.js';
export type { Scope, ScopeOptions, SpawnOptions, Task } from './scope.js';
export { openScope, scope } from './scope.js';
export type { DetachOptions, ShieldOptions } from './shield.js';
export { detach, shield } from './shield.js';
export type { ShutdownSignal } from './shutdown-signals.js';
export type { SleepOptions, TimeoutOptions } from './time.js';
export { moveOnAfter, sleep, timeout } from './time.js';
export type { RateOptions } from './token-bucket.js';
