/**
 * `retry()`: run an attempt, and on a retryable failure sleep (abortably) for a backoff
 * with jitter, then try again. Each attempt runs in its own child scope under the overall
 * deadline; a cancellation is never retried.
 *
 * @module
 */

import { InvalidArgumentError } from '@tandem/workers';
import { checkFunction, checkInteger, checkNumber, checkSignal } from '@tandem/workers/internal';
import { RetryError } from './errors.js';
import { isCancellation } from './internal/canceller.js';
import { newScope } from './scope.js';
import { sleep } from './time.js';

/** Exponential backoff: `initial · factor^(attempt−1)`, capped at `max` (ms). */
export interface BackoffOptions {
  /** Default 100 ms. */
  readonly initial?: number;
  /** Default 2. */
  readonly factor?: number;
  /** Default 10 000 ms (or `initial`, if larger). */
  readonly max?: number;
}

/**
 * How the delay is randomized (AWS architecture blog, "Exponential Backoff and Jitter"):
 * `full` uniform in [0, d]; `equal` d/2 + uniform in [0, d/2]; `decorrelated`
 * min(max, uniform in [initial, 3 · previous]); `none` exactly d.
 */
export type Jitter = 'full' | 'equal' | 'decorrelated' | 'none';

/** Options of {@link retry}. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 3. */
  readonly attempts?: number;
  readonly backoff?: BackoffOptions;
  /** Default `'full'`. */
  readonly jitter?: Jitter;
  /** Whether a failure is worth another attempt. Default: every failure except a cancellation. */
  readonly retryIf?: (error: unknown, attempt: number) => boolean;
  /** A delay (ms) the failure asks for (e.g. HTTP `Retry-After`), used instead of the backoff. */
  readonly retryAfter?: (error: unknown, attempt: number) => number | undefined;
  /** Cancels the attempt in flight or the sleep; defaults to the running scope's signal. */
  readonly signal?: AbortSignal;
  /** Overall time limit for all attempts and sleeps, in ms. */
  readonly timeout?: number;
  /** Source of randomness in [0, 1), for jitter. Default `Math.random`. */
  readonly random?: () => number;
}

const JITTERS: readonly Jitter[] = ['full', 'equal', 'decorrelated', 'none'];

function checkRetryOptions(options: RetryOptions) {
  const attempts = checkInteger('options.attempts', options.attempts ?? 3, 1);
  const initial = checkNumber('options.backoff.initial', options.backoff?.initial ?? 100, 0);
  const factor = checkNumber('options.backoff.factor', options.backoff?.factor ?? 2, 1);
  const max = checkNumber(
    'options.backoff.max',
    options.backoff?.max ?? Math.max(10_000, initial),
    initial,
    true,
  );
  const jitter = options.jitter ?? 'full';
  if (!JITTERS.includes(jitter)) {
    throw new InvalidArgumentError(
      `Expected options.jitter to be one of ${JITTERS.join(', ')}, got ${String(jitter)}`,
    );
  }
  if (options.retryIf !== undefined) checkFunction('options.retryIf', options.retryIf);
  if (options.retryAfter !== undefined) checkFunction('options.retryAfter', options.retryAfter);
  checkSignal('options.signal', options.signal);
  if (options.timeout !== undefined)
    checkNumber('options.timeout', options.timeout, -Infinity, true);
  return { attempts, initial, factor, max, jitter, random: options.random ?? Math.random };
}

type Policy = ReturnType<typeof checkRetryOptions>;

/** The delay before attempt `attempt + 1`, given the previous delay (for `decorrelated`). */
function backoffDelay(p: Policy, attempt: number, previous: number): number {
  const d = Math.min(p.max, p.initial * p.factor ** (attempt - 1));
  switch (p.jitter) {
    case 'none':
      return d;
    case 'full':
      return p.random() * d;
    case 'equal':
      return d / 2 + (p.random() * d) / 2;
    case 'decorrelated':
      return Math.min(
        p.max,
        p.initial + p.random() * (Math.max(previous, p.initial) * 3 - p.initial),
      );
  }
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
  options: RetryOptions = {},
): Promise<T> {
  checkFunction('fn', fn);
  const policy = checkRetryOptions(options);
  const { signal, timeout } = options;
  const outer = newScope(
    { name: 'retry', ...(signal ? { signal } : {}), ...(timeout === undefined ? {} : { timeout }) },
    { errorMode: 'body' },
  );
  const done = await outer.run(async (s) => ({
    value: await attempts(fn, policy, options, s.signal),
  }));
  if (done === undefined) throw outer.signal.reason;
  return done.value;
}

async function attempts<T>(
  fn: (signal: AbortSignal, attempt: number) => T | PromiseLike<T>,
  policy: Policy,
  options: RetryOptions,
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
      const retryable = options.retryIf?.(error, attempt) ?? true;
      if (!retryable || attempt >= policy.attempts) throw new RetryError(errors);
      const asked = options.retryAfter?.(error, attempt);
      previous = asked ?? backoffDelay(policy, attempt, previous);
      await sleep(Math.max(0, previous), { signal });
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
