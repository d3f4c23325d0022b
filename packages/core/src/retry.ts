/**
 * `retry()`: run an attempt, and on a retryable failure sleep (abortably) for a backoff
 * with jitter, then try again. Each attempt runs in its own child scope under the overall
 * deadline; a cancellation is never retried.
 *
 * @module
 */

import { CallbackError, InvalidArgumentError, OutOfRangeError } from '@tandem/workers';
import {
  checkFunction,
  checkInteger,
  checkNumber,
  checkOneOf,
  checkSignal,
} from '@tandem/workers/internal';
import { RetryError } from './errors.js';
import { isCancellation } from './internal/canceller.js';
import { readOptions } from './internal/read-options.js';
import { newScope } from './scope.js';
import { sleep } from './time.js';

/** Exponential backoff: `initial · factor^(attempt−1)`, capped at `max` (ms). */
export interface BackoffOptions {
  /** Default 100 ms. */
  readonly initial?: number | undefined;
  /** At least 1. Default 2. */
  readonly factor?: number | undefined;
  /**
   * Default 10 000 ms (or `initial`, if larger). `Infinity` sets no cap: the delay keeps
   * growing, and once it overflows to `Infinity` the next sleep lasts until cancelled.
   */
  readonly max?: number | undefined;
}

/**
 * How the delay is randomized (AWS architecture blog, "Exponential Backoff and Jitter"):
 * `full` uniform in [0, d]; `equal` d/2 + uniform in [0, d/2]; `decorrelated`
 * min(max, uniform in [initial, 3 · previous]); `none` exactly d.
 */
export type Jitter = 'full' | 'equal' | 'decorrelated' | 'none';

/** Options of {@link retry}. */
export interface RetryOptions {
  /**
   * Attempts in all, the first included: a finite integer `>= 1` (every attempt's error is
   * kept for `RetryError.errors`, so there is no `Infinity`). Default 3.
   */
  readonly attempts?: number | undefined;
  readonly backoff?: BackoffOptions | undefined;
  /** Default `'full'`. */
  readonly jitter?: Jitter | undefined;
  /**
   * Whether a failure is worth another attempt. Default: every failure except a
   * cancellation. A throw from it ends the retry with `CallbackError`
   * (`ERR_TANDEM_CALLBACK_FAILED`, `cause` = what it threw).
   */
  readonly retryIf?: ((error: unknown, attempt: number) => boolean) | undefined;
  /**
   * A delay (ms) the failure asks for (e.g. HTTP `Retry-After`), used instead of the
   * backoff; `undefined` keeps the backoff, a negative delay means at once, `Infinity` waits
   * until cancelled. Anything but a number or `undefined` ends the retry with
   * `InvalidArgumentError`; a throw, with `CallbackError`.
   */
  readonly retryAfter?: ((error: unknown, attempt: number) => number | undefined) | undefined;
  /**
   * Cancels the attempt in flight or the sleep. It joins the running scope's cancellation
   * (both apply).
   */
  readonly signal?: AbortSignal | undefined;
  /** Overall time limit for all attempts and sleeps, in ms; `Infinity` sets none. */
  readonly timeout?: number | undefined;
  /**
   * Source of randomness in [0, 1], for jitter. Default `Math.random`. A value outside
   * [0, 1] ends the retry with `OutOfRangeError`; a throw, with `CallbackError`.
   */
  readonly random?: (() => number) | undefined;
}

const JITTERS: readonly Jitter[] = ['full', 'equal', 'decorrelated', 'none'];

/** Reads every option once (a getter or Proxy cannot change it after its check). */
/** @internal Checks retry options (also the pipeline io stage's, at the stage call). */
export function checkRetryOptions(input: RetryOptions | undefined) {
  const options = readOptions('options', input);
  const { attempts = 3, jitter = 'full', retryIf, retryAfter, signal, timeout } = options;
  const random = options.random ?? Math.random;
  const backoff = readOptions('options.backoff', options.backoff);
  const initial = checkNumber('options.backoff.initial', backoff.initial ?? 100, 0);
  const factor = checkNumber('options.backoff.factor', backoff.factor ?? 2, 1);
  const max = checkNumber(
    'options.backoff.max',
    backoff.max ?? Math.max(10_000, initial),
    initial,
    true,
  );
  checkInteger('options.attempts', attempts, 1);
  checkOneOf('options.jitter', jitter, JITTERS);
  if (retryIf !== undefined) checkFunction('options.retryIf', retryIf);
  if (retryAfter !== undefined) checkFunction('options.retryAfter', retryAfter);
  checkFunction('options.random', random);
  checkSignal('options.signal', signal);
  if (timeout !== undefined) checkNumber('options.timeout', timeout, -Infinity, true);
  return { attempts, initial, factor, max, jitter, random, retryIf, retryAfter, signal, timeout };
}

type Policy = ReturnType<typeof checkRetryOptions>;

/**
 * The delay before attempt `attempt + 1`, given the previous delay (for `decorrelated`).
 * With `max: Infinity` the delay can grow to `Infinity` (wait until cancelled); a random draw
 * of 0 then still gives `Infinity`, not `0 · Infinity = NaN`.
 */
function backoffDelay(p: Policy, attempt: number, previous: number): number {
  const d = Math.min(p.max, p.initial * p.factor ** (attempt - 1));
  if (p.jitter === 'none') return d;
  const r = draw(p.random);
  const scaled = (x: number) => (x === Number.POSITIVE_INFINITY ? x : r * x);
  switch (p.jitter) {
    case 'full':
      return scaled(d);
    case 'equal':
      return d / 2 + scaled(d) / 2;
    case 'decorrelated':
      return Math.min(p.max, p.initial + scaled(Math.max(previous, p.initial) * 3 - p.initial));
  }
}

/** One number in [0, 1] from `options.random`. */
function draw(random: () => number): number {
  const r = callback('random', random);
  checkNumber('options.random()', r, 0);
  if (r > 1) throw new OutOfRangeError(`Expected options.random() <= 1, got ${r}`);
  return r;
}

/** Calls a callback of the caller's; a throw becomes `CallbackError` naming it. */
function callback<A extends unknown[], R>(name: string, fn: (...args: A) => R, ...args: A): R {
  try {
    return fn(...args);
  } catch (error) {
    throw new CallbackError(`options.${name}`, error);
  }
}

/** The delay `retryAfter` asks for: undefined (use the backoff) or ms, a negative one meaning now. */
function askedDelay(p: Policy, error: unknown, attempt: number): number | undefined {
  if (p.retryAfter === undefined) return undefined;
  const asked = callback('retryAfter', p.retryAfter, error, attempt);
  if (asked === undefined) return undefined;
  if (typeof asked !== 'number' || Number.isNaN(asked)) {
    throw new InvalidArgumentError(
      `Expected options.retryAfter() to return a number of milliseconds or undefined, got ${typeof asked === 'number' ? asked : typeof asked}`,
    );
  }
  return Math.max(0, asked);
}

/**
 * Calls `fn(signal, attempt)` until it succeeds, a failure is not retryable, or the
 * attempts run out.
 *
 * - Never retries a cancellation (the signal aborted, the enclosing scope cancelled, the
 *   overall `timeout`, or any `AbortError`): it propagates as is (a `TimeoutError` for
 *   `options.timeout`).
 * - Sleeps between attempts are abortable and go through `clock()`.
 * - Each attempt runs in a child scope, so `engine.run` inside it inherits the deadline.
 * - Out of attempts or not retryable: rejects with `RetryError`
 *   (`ERR_TANDEM_RETRY_EXHAUSTED`) whose `errors` holds every attempt's error.
 *
 * @example
 * const body = await retry((signal) => fetchJson(url, { signal }), {
 *   attempts: 5, backoff: { initial: 200 }, retryIf: (e) => e.status >= 500,
 * });
 */
export async function retry<T>(
  fn: (signal: AbortSignal, attempt: number) => T | PromiseLike<T>,
  options?: RetryOptions,
): Promise<T> {
  checkFunction('fn', fn);
  const policy = checkRetryOptions(options);
  const { signal, timeout } = policy;
  const outer = newScope({ name: 'retry', signal, timeout }, { errorMode: 'body' });
  const done = await outer.run(async (s) => ({
    value: await attempts(fn, policy, s.signal),
  }));
  if (done === undefined) throw outer.signal.reason;
  return done.value;
}

async function attempts<T>(
  fn: (signal: AbortSignal, attempt: number) => T | PromiseLike<T>,
  policy: Policy,
  signal: AbortSignal,
): Promise<T> {
  const errors: unknown[] = [];
  let previous = policy.initial;
  for (let attempt = 1; ; attempt++) {
    try {
      const s = newScope({ name: `attempt-${attempt}` }, { errorMode: 'body' });
      const done = await s.run(async (inner) => ({ value: await fn(inner.signal, attempt) }));
      if (done !== undefined) return done.value;
      throw s.signal.reason;
    } catch (error) {
      if (isCancellation(error, signal) || isAbortError(error)) throw error;
      errors.push(error);
      const retryable =
        policy.retryIf === undefined ||
        (callback('retryIf', policy.retryIf, error, attempt) ?? true);
      if (!retryable || attempt >= policy.attempts) throw new RetryError(errors);
      previous = askedDelay(policy, error, attempt) ?? backoffDelay(policy, attempt, previous);
      await sleep(previous, { signal });
    }
  }
}

/** An `AbortError` means someone asked the work to stop, even through another signal: never retry it. */
function isAbortError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'AbortError'
  );
}
