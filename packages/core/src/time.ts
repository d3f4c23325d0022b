/**
 * Time limits: `timeout()` and `moveOnAfter()` run work in a scope with a deadline; `sleep()`
 * is an abortable pause. All time goes through `clock()` so tests can drive it with
 * `t.mock.timers`.
 *
 * @module
 */

import { checkFunction, checkNumber, checkSignal, startTimer } from '@tandem/workers/internal';
import { TimeoutError } from './errors.js';
import { readOptions } from './internal/read-options.js';
import { waitSignal } from './internal/wait-signal.js';
import { newScope, type Scope } from './scope.js';

/** Options of {@link timeout} and {@link moveOnAfter}. */
export interface TimeoutOptions {
  /** Shown in `tasks()` and in paths. */
  readonly name?: string | undefined;
  /**
   * A foreign signal that cancels the work as if from outside. It joins the running scope's
   * cancellation (both apply).
   */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Runs `fn` in a scope whose deadline is `ms` from now.
 *
 * - Resolves with `fn`'s value if it arrives in time (even if the deadline passes while
 *   the scope is exiting); the `TimeoutError` is thrown only after the work has settled.
 * - Rejects with `TimeoutError` (`ERR_TANDEM_TIMEOUT`, `cause` = the cancellation the work
 *   received) only from the scope that expired: an enclosing scope with the same deadline
 *   raises instead of this one, and a parent's cancellation stays the parent's reason.
 * - `ms <= 0` expires before `fn` starts; `fn` is never called. `Infinity` sets no deadline;
 *   any finite `ms` works, also past Node's timer range (2³¹ − 1 ms).
 * - `fn`'s own error passes through unchanged; use `s.reschedule()` to move the deadline.
 * - A `ms` that is not a number (NaN included) rejects with `InvalidArgumentError`
 *   (`ERR_TANDEM_INVALID_ARGUMENT`).
 *
 * @example
 * const page = await timeout(2_000, (s) => fetch(url, { signal: s.signal }));
 */
export async function timeout<T>(
  ms: number,
  fn: (scope: Scope) => T | PromiseLike<T>,
  options?: TimeoutOptions,
): Promise<T> {
  checkNumber('ms', ms, -Infinity, true);
  checkFunction('fn', fn);
  const { name, signal } = readOptions('options', options);
  const s = newScope({ name, signal, timeout: ms }, { errorMode: 'body' });
  const done = await s.run(async (inner) => ({ value: await fn(inner) }));
  // `fn` was interrupted by the scope's own `cancel()`: there is no value to return.
  if (done === undefined) throw s.signal.reason;
  return done.value;
}

/**
 * Like {@link timeout}, but resolves with `undefined` instead of throwing when its own
 * deadline passes (trio's `move_on_after`). Other errors and outside cancellation still
 * reject.
 *
 * @example
 * const cached = await moveOnAfter(50, (s) => cache.get(key, { signal: s.signal }));
 */
export async function moveOnAfter<T>(
  ms: number,
  fn: (scope: Scope) => T | PromiseLike<T>,
  options?: TimeoutOptions,
): Promise<T | undefined> {
  checkNumber('ms', ms, -Infinity, true);
  checkFunction('fn', fn);
  const { name, signal } = readOptions('options', options);
  const s = newScope({ name, signal, timeout: ms }, { errorMode: 'body' });
  try {
    return await s.run(fn);
  } catch (error) {
    if (s.expired && error instanceof TimeoutError && error.cause === s.signal.reason) {
      return undefined;
    }
    throw error;
  }
}

/** Options of {@link sleep}. */
export interface SleepOptions {
  /**
   * Cancels the sleep. It joins the signal of the running scope or task (both apply), so a
   * signal of your own never lets a sleep outlive its scope.
   */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Waits `ms` milliseconds on `clock()`. Rejects with the reason as soon as the signal (yours
 * or the running scope's) aborts, and at once if one already has, removing its timer and
 * listeners. Any `ms >= 0` works, also past Node's timer range (2³¹ − 1 ms); `Infinity`
 * waits until aborted.
 *
 * Rejects with `InvalidArgumentError` (`ERR_TANDEM_INVALID_ARGUMENT`) for a `ms` that is not
 * a number (NaN included) and `OutOfRangeError` (`ERR_TANDEM_OUT_OF_RANGE`) below 0.
 *
 * @example
 * await sleep(250, { signal });
 */
export async function sleep(ms: number, options?: SleepOptions): Promise<void> {
  checkNumber('ms', ms, 0, true);
  const { signal, unlink } = waitSignal(
    checkSignal('options.signal', readOptions('options', options).signal),
  );
  try {
    signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        timer.cancel();
        reject(signal?.reason);
      };
      const timer = startTimer(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  } finally {
    unlink();
  }
}
