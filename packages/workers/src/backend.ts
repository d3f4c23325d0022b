/**
 * `TaskBackend`: what an `Engine` needs of whatever runs its tasks. The local `WorkerPool` is
 * one; `@tandem/bullmq` is another (worker processes on other machines, through Redis). Core
 * only ever talks to this seam, so it never imports a queue library.
 *
 * @module
 */
import type { SerializedError } from './codec.js';
import type { TaskInput, TaskMap, TaskModule, TaskResult } from './define.js';
import type { RunOptions } from './pool.js';
import type { PoolStats } from './pool-stats.js';
import type { TaskSettledListener } from './task-events.js';

/** The batching entry `map` uses: `items` run together, in order, on one worker. */
export const kRunBatch: unique symbol = Symbol.for('tandem.runBatch');

/** What a batch returns: values by index, and the failed items' errors as codec data. */
export interface BatchOutcome {
  values: unknown[];
  errors: [index: number, error: SerializedError][];
}

/**
 * Runs the tasks of one task module. Every promise it returns settles, with the same error
 * classes and codes whatever the backend (see `RunOptions` and docs/errors.md).
 */
export interface TaskBackend<Tasks extends TaskMap = TaskMap> {
  /** `'local'` for the worker-thread pool; a backend package names its own. */
  readonly kind: string;
  /** Threads the work is spread over: sizes `map` batches and pipeline concurrency. */
  readonly threads: number;
  /** Ms that start-up was allowed to take. */
  readonly startTimeout: number;
  /**
   * Names of the tasks the backend can run, or `undefined` when this side cannot know them
   * (remote workers decide; an unknown name then fails with `ERR_TANDEM_UNKNOWN_TASK`).
   */
  readonly taskNames: readonly string[] | undefined;
  run<Name extends keyof Tasks & string>(
    name: Name,
    input: TaskInput<Tasks[Name]>,
    options?: RunOptions,
  ): Promise<TaskResult<Tasks[Name]>>;
  /** Runs `items` as one batch (one message, one job); only `signal` and `deadline` apply. */
  [kRunBatch](name: string, items: unknown[], options: RunOptions): Promise<BatchOutcome>;
  stats(): PoolStats;
  onSettled(listener: TaskSettledListener): () => void;
  estimateWait(name: string): number;
  close(options?: { timeout?: number }): Promise<void>;
  destroy(): Promise<void>;
}

/** What `Engine.start` hands a backend factory: the start bounds and the queue options. */
export interface BackendStartContext {
  /** Ms the start may take; past it the factory rejects with `StartTimeoutError`. */
  startTimeout: number;
  /** Abandons the start: the factory rejects with `signal.reason` and leaves nothing open. */
  signal: AbortSignal | undefined;
  /** `maxQueue` / `onFull` as given to `Engine.start` (undefined: the backend's default). */
  maxQueue: number | undefined;
  onFull: 'wait' | 'reject' | undefined;
}

/**
 * Starts a backend; given to `Engine.start({ backend })`. `Module` is a phantom type: it
 * lets `Engine.start({ backend: bullmq<typeof tasks>(…) })` type `run` by the task module
 * without the producer importing it.
 */
export interface BackendFactory<Module extends TaskModule = TaskModule> {
  readonly kind: string;
  start(context: BackendStartContext): Promise<TaskBackend<TaskMap>>;
  /** Never set: carries `Module` for type inference. */
  readonly __module?: Module | undefined;
}
