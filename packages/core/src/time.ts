/**
 * Time limits: `timeout()` and `moveOnAfter()` run work in a scope with a deadline; `sleep()`
 * is an abortable pause. All time goes through `clock()` so tests can drive it with
 * `t.mock.timers`.
 *
 * @module
 */

import { clock } from '@tandem/workers';
import { checkFunction, checkNumber, checkSignal } from '@tandem/workers/internal';
import { TimeoutError } from './errors.js';
import { storage } from './internal/task-tree.js';
import { newScope, type Scope } from './scope.js';

/** Options of {@link timeout} and {@link moveOnAfter}. */
export interface TimeoutOptions {
  /** Shown in `tasks()` and in paths. */
  readonly name?: string;
  /** A foreign signal that cancels the work as if from outside. */
  readonly signal?: AbortSignal;
}

/**
 * Runs `fn` in a scope whose deadline is `ms` from now.
 *
 * - Resolves with `fn`'s value if it arrives in time (even if the deadline passes while
 *   the scope is exiting); the `TimeoutError` is thrown only after the work has settled.
 * - Rejects with `TimeoutError` (`ERR_TANDEM_TIMEOUT`, `cause` = the cancellation the work
 *   received) only from the scope that expired: an enclosing scope with the same deadline
 *   raises instead of this one, and a parent's cancellation stays the parent's reason.
 * - `ms <= 0` expires before `fn` starts; `fn` is never called.
 * - `fn`'s own error passes through unchanged; use `s.reschedule()` to move the deadline.
 *
 * @example
 * const page = await timeout(2_000, (s) => fetch(url, { signal: s.signal }));
 */
export async function timeout<T>(
  ms: number,
  fn: (scope: Scope) => T | PromiseLike<T>,
  options: TimeoutOptions = {},
): Promise<T> {
  checkNumber('ms', ms, -Infinity, true);
  checkFunction('fn', fn);
  const s = newScope({ ...options, timeout: ms }, { errorMode: 'body' });
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
  options: TimeoutOptions = {},
): Promise<T | undefined> {
  checkNumber('ms', ms, -Infinity, true);
  checkFunction('fn', fn);
  const s = newScope({ ...options, timeout: ms }, { errorMode: 'body' });
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
  /** Cancels the sleep; defaults to the signal of the running scope or task, if any. */
  readonly signal?: AbortSignal;
}

/**
 * Waits `ms` milliseconds on `clock()`. Rejects with `signal.reason` as soon as the signal
 * aborts (and at once if it already has), removing its timer and listener.
 *
 * @example
 * await sleep(250, { signal });
 */
export function sleep(ms: number, options: SleepOptions = {}): Promise<void> {
  checkNumber('ms', ms, 0, true);
  const signal = checkSignal('options.signal', options.signal) ?? storage.getStore()?.signal;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const c = clock();
    const onAbort = () => {
      c.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = c.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
