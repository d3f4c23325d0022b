/**
 * The options of `Engine.start`: what they are, their defaults, and the checks that run
 * before anything starts.
 *
 * @module
 */
import { InvalidArgumentError, type WorkerPoolOptions } from '@tandem/workers';
import { checkDuration, checkSignal } from '@tandem/workers/internal';
import {
  checkLoopDelayResolution,
  DEFAULT_LOOP_DELAY_RESOLUTION,
} from './diagnostics/loop-delay.js';
import { readArray, readOptions, readValue } from './internal/read-options.js';
import { checkShutdownSignals, type ShutdownSignal } from './shutdown-signals.js';

/** How an engine is built: the pool's options, plus the loop monitor and shutdown. */
export interface EngineOptions extends WorkerPoolOptions {
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

/** Ms that `shutdown()` gives in-flight work by default. */
export const DEFAULT_SHUTDOWN_GRACE = 10_000;

/** The engine's own options, checked, with defaults filled in; `pool` goes to `WorkerPool.start`. */
export interface ResolvedEngineOptions {
  pool: WorkerPoolOptions;
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
    ...pool
  } = readOptions('options', options as EngineOptions);
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
  return { pool, loopDelayResolution, shutdownSignals: signals, shutdownGrace };
}
