/**
 * The options of `Engine.start`: what they are, their defaults, and the checks that run
 * before anything starts.
 *
 * @module
 */
import {
  type BackendFactory,
  InvalidArgumentError,
  type TaskModule,
  type WorkerPoolOptions,
} from '@tandem/workers';
import { checkDuration, checkInteger, checkOneOf, checkSignal } from '@tandem/workers/internal';
import {
  checkLoopDelayResolution,
  DEFAULT_LOOP_DELAY_RESOLUTION,
} from './diagnostics/loop-delay.js';
import { readArray, readOptions, readValue } from './internal/read-options.js';
import { checkShutdownSignals, type ShutdownSignal } from './shutdown-signals.js';

/** The engine's own options, whatever runs the tasks. */
export interface EngineOwnOptions {
  /** Sampling interval of the event-loop delay monitor, in ms: an integer from 1 to 60 000. Default 10. */
  loopDelayResolution?: number;
  /**
   * Shut down gracefully on these signals (`'SIGINT'`, `'SIGTERM'`, each at most once): the
   * first one calls `engine.shutdown()`, a second one exits at once. Default: none (a library
   * does not take over the process's signals unless asked).
   */
  shutdownSignals?: readonly ShutdownSignal[];
  /**
   * Ms that `shutdown()` lets in-flight work finish before destroying it. Default 10 000;
   * `Infinity` waits for ever.
   */
  shutdownGrace?: number;
}

/** How an engine is built on worker threads of this process: the pool's options, plus the engine's. */
export interface LocalEngineOptions extends WorkerPoolOptions, EngineOwnOptions {
  backend?: undefined;
}

/** The pool options that size or shape local threads: refused beside a `backend`. */
const THREAD_OPTIONS = [
  'threads',
  'concurrentTasksPerWorker',
  'grace',
  'resourceLimits',
  'execArgv',
] as const;

/**
 * How an engine is built on another backend (`@tandem/bullmq`'s `bullmq(…)`): the tasks run
 * wherever the backend runs them, so `tasks` is optional (and not loaded here: accepted so that
 * adding `backend` is the only change) and the options that size local threads are refused.
 */
export interface BackendEngineOptions<Module extends TaskModule = TaskModule>
  extends EngineOwnOptions,
    Pick<WorkerPoolOptions, 'maxQueue' | 'onFull' | 'startTimeout' | 'signal'> {
  backend: BackendFactory<Module>;
  tasks?: URL | string;
}

/** How an engine is built: worker threads here (the default), or a `backend`. */
export type EngineOptions = LocalEngineOptions | BackendEngineOptions;

/** Ms that `shutdown()` gives in-flight work by default. */
export const DEFAULT_SHUTDOWN_GRACE = 10_000;

/**
 * The engine's own options, checked, with defaults filled in; `pool` goes to `WorkerPool.start`,
 * or `backend` is started with `pool`'s `startTimeout`, `signal`, `maxQueue` and `onFull`.
 */
export interface ResolvedEngineOptions {
  pool: WorkerPoolOptions;
  backend: BackendFactory | undefined;
  loopDelayResolution: number;
  shutdownSignals: readonly ShutdownSignal[];
  shutdownGrace: number;
}

/**
 * Reads `options` once and checks the engine's own options. The pool's options are checked by
 * `WorkerPool.start`, before it starts a thread, on the copy returned here.
 *
 * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`), OutOfRangeError
 * (`ERR_TANDEM_OUT_OF_RANGE`); `signal.reason` when `options.signal` is already aborted.
 */
export function resolveEngineOptions(options: unknown): ResolvedEngineOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(
      `Expected options to be an object with at least { tasks }, got ${options === null ? 'null' : typeof options}`,
    );
  }
  const {
    loopDelayResolution = DEFAULT_LOOP_DELAY_RESOLUTION,
    shutdownSignals = [],
    shutdownGrace = DEFAULT_SHUTDOWN_GRACE,
    backend,
    ...pool
  } = readOptions(
    'options',
    options as LocalEngineOptions | BackendEngineOptions,
  ) as LocalEngineOptions & {
    backend?: BackendFactory;
  };
  if (backend !== undefined) checkBackend(backend, pool);
  checkLoopDelayResolution('options.loopDelayResolution', loopDelayResolution);
  checkDuration('options.shutdownGrace', shutdownGrace);
  const signals = checkShutdownSignals('options.shutdownSignals', shutdownSignals);
  // The values the pool reads inside, read once here too: it then checks what it will use.
  const { tasks, resourceLimits, execArgv, signal } = pool;
  if (tasks instanceof URL) pool.tasks = readValue('options.tasks', () => new URL(tasks.href));
  // Copied only when it is a plain object: an array (or anything else) goes on to be refused.
  if (
    typeof resourceLimits === 'object' &&
    resourceLimits !== null &&
    !Array.isArray(resourceLimits)
  ) {
    pool.resourceLimits = readOptions('options.resourceLimits', resourceLimits);
  }
  if (execArgv !== undefined) pool.execArgv = readArray('options.execArgv', execArgv) as string[];
  // An aborted signal is honoured by the pool, once every option has been checked.
  checkSignal('options.signal', signal);
  return { pool, backend, loopDelayResolution, shutdownSignals: signals, shutdownGrace };
}

/** A backend factory, and no option that only local threads understand beside it. */
function checkBackend(backend: BackendFactory, pool: Partial<WorkerPoolOptions>): void {
  if (
    typeof backend !== 'object' ||
    backend === null ||
    typeof (backend as { start?: unknown }).start !== 'function'
  ) {
    throw new InvalidArgumentError(
      'Expected options.backend to be a backend factory such as bullmq({ connection, queue }) from @tandem/bullmq',
    );
  }
  for (const name of THREAD_OPTIONS) {
    if (pool[name] !== undefined) {
      throw new InvalidArgumentError(
        `options.${name} shapes local worker threads and means nothing with options.backend: set it where the tasks run (for @tandem/bullmq, on tandem-worker)`,
      );
    }
  }
  // WorkerPool.start checks these for a local pool; a backend gets them checked.
  if (pool.maxQueue !== undefined) checkInteger('options.maxQueue', pool.maxQueue, 0);
  checkOneOf('options.onFull', pool.onFull, ['wait', 'reject']);
  checkDuration('options.startTimeout', pool.startTimeout);
}
