/**
 * What a failed permit tells its key: whether the key is overloaded (for the adaptive limit)
 * and how long it asks to be left alone (`Retry-After`). Reading an error must never break the
 * limiter: the default readers survive hostile errors (throwing getters, Proxies, cause
 * cycles), and a caller's callback that throws or answers nonsense counts as "no" (not an
 * overload, no pause), reported once per limiter and callback as a process warning, because
 * the permit's caller is owed its own outcome, not ours.
 *
 * @module
 */

import { CallbackError, InvalidArgumentError } from '@tandem/workers';

const TIMEOUT_CODES = new Set([
  'ERR_TANDEM_TIMEOUT',
  'ERR_TANDEM_TASK_TIMEOUT',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** How deep the defaults look into `cause`: fetch wraps undici's error once ("fetch failed"). */
const CAUSE_DEPTH = 4;

/** The default `isOverload`: 429, 503 or a timeout, on the error or a cause. */
export function defaultIsOverload(error: unknown): boolean {
  return someCause(error, (e) => {
    const status = e.status ?? e.statusCode;
    return (
      status === 429 ||
      status === 503 ||
      (typeof e.code === 'string' && TIMEOUT_CODES.has(e.code)) ||
      e.name === 'TimeoutError'
    );
  });
}

/** The default `retryAfter`: a finite, positive `retryAfter` (ms) on the error or a cause. */
export function defaultRetryAfter(error: unknown): number | undefined {
  let found: number | undefined;
  someCause(error, (e) => {
    const ms = e.retryAfter;
    if (typeof ms === 'number' && ms > 0 && Number.isFinite(ms)) found = ms;
    return found !== undefined;
  });
  return found;
}

type Readable = { [key: string]: unknown };

/** Whether `test` holds for `error` or one of its first causes; a throwing read means no. */
function someCause(error: unknown, test: (e: Readable) => boolean): boolean {
  let e = error;
  for (let depth = 0; depth < CAUSE_DEPTH; depth++) {
    if (typeof e !== 'object' || e === null) return false;
    try {
      if (test(e as Readable)) return true;
      e = (e as Readable).cause;
    } catch {
      return false;
    }
  }
  return false;
}

/** Reads failures with the caller's callbacks, or the defaults. */
export class OutcomeReader {
  readonly #isOverload: (error: unknown) => unknown;
  readonly #retryAfter: (error: unknown) => unknown;
  readonly #warned = new Set<string>();

  constructor(
    isOverload: ((error: unknown) => boolean) | undefined,
    retryAfter: ((error: unknown) => number | undefined) | undefined,
  ) {
    this.#isOverload = isOverload ?? defaultIsOverload;
    this.#retryAfter = retryAfter ?? defaultRetryAfter;
  }

  isOverload(error: unknown): boolean {
    const answer = this.#call('isOverload', this.#isOverload, error);
    if (answer === undefined || typeof answer.value === 'boolean') return answer?.value === true;
    this.#warn(
      'isOverload',
      new InvalidArgumentError(
        `Expected limiter options.isOverload() to return a boolean, got ${typeof answer.value}; it was taken as false`,
      ),
    );
    return false;
  }

  /** The pause asked for, in ms (0 for none; `Infinity` until resumed). */
  pauseFor(error: unknown): number {
    const answer = this.#call('retryAfter', this.#retryAfter, error);
    if (answer === undefined || answer.value === undefined) return 0;
    const ms = answer.value;
    if (typeof ms === 'number' && !Number.isNaN(ms)) return Math.max(0, ms);
    this.#warn(
      'retryAfter',
      new InvalidArgumentError(
        `Expected limiter options.retryAfter() to return a number of milliseconds or undefined, got ${typeof ms === 'number' ? ms : typeof ms}; the key was not paused`,
      ),
    );
    return 0;
  }

  #call(
    name: string,
    fn: (error: unknown) => unknown,
    error: unknown,
  ): { value: unknown } | undefined {
    try {
      return { value: fn(error) };
    } catch (thrown) {
      this.#warn(name, new CallbackError(`limiter options.${name}`, thrown));
      return undefined;
    }
  }

  /** One warning per limiter and callback: a broken callback fails on every outcome. */
  #warn(name: string, warning: Error): void {
    if (this.#warned.has(name)) return;
    this.#warned.add(name);
    process.emitWarning(warning);
  }
}
