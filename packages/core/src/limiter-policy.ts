/**
 * The options of `limiter()` and their checks: every option is read once (a getter or a Proxy
 * cannot change it after its check) and refused with a coded error naming it.
 *
 * @module
 */

import { InvalidArgumentError, OutOfRangeError } from '@tandem/workers';
import { checkFunction, checkInteger, checkNumber } from '@tandem/workers/internal';
import type { AdaptivePolicy } from './adaptive-limit.js';
import { readOptions } from './internal/read-options.js';
import type { RateOptions } from './token-bucket.js';

/** The policy of `limiter()`. `concurrency`, `rate` and `adaptive` apply per key. */
export interface LimiterOptions {
  /**
   * Permits (by weight) held at once per key: an integer >= 1 or `Infinity` (the default).
   * With `adaptive`, the most a key's limit can grow to (then it must be finite).
   */
  readonly concurrency?: number;
  /**
   * Permits (by weight) held at once over all keys together: an integer >= 1 or `Infinity`
   * (the default). A per-key cap sits under it; when it frees a slot, the best waiter among
   * the keys that could go (highest aged priority, then first come) gets it, whatever its key.
   * Calls from inside `run()` of the same limiter run in their caller's share and do not wait
   * for it.
   */
  readonly total?: number;
  /** A token bucket per key: `limit` per `per` ms, at most `burst` (default `limit`) at once. */
  readonly rate?: RateOptions;
  /**
   * Each key's concurrency limit adapts to how the key (a host) copes: see
   * {@link AdaptiveOptions}. `true` takes the defaults. Needs a finite `concurrency` (the
   * cap), else `ERR_TANDEM_OUT_OF_RANGE`.
   */
  readonly adaptive?: boolean | AdaptiveOptions;
  /**
   * Whether a failure means the key is overloaded, for `adaptive`. Default: the error (or one
   * of its `cause`s) has a `status` or `statusCode` of 429 or 503, a timeout `code`
   * (`ERR_TANDEM_TIMEOUT`, `ERR_TANDEM_TASK_TIMEOUT`, `ETIMEDOUT`, undici's
   * `UND_ERR_CONNECT_TIMEOUT`, `UND_ERR_HEADERS_TIMEOUT`, `UND_ERR_BODY_TIMEOUT`) or the name
   * `TimeoutError` (as `AbortSignal.timeout()`'s reason). It should return a boolean; a throw
   * or any other result counts as "not an overload" and is reported once per limiter as a
   * process warning (`ERR_TANDEM_CALLBACK_FAILED` / `ERR_TANDEM_INVALID_ARGUMENT`).
   */
  readonly isOverload?: (error: unknown) => boolean;
  /**
   * How long (ms) a failure asks its key to pause (HTTP `Retry-After`), or `undefined` for no
   * pause. Default: a finite, positive number in the error's (or a `cause`'s) `retryAfter`.
   * `Infinity` pauses until `resumeKey()`; 0 or less does not pause. Applies with or
   * without `adaptive`; `() => undefined` turns it off. A throw or a result that is neither a
   * number nor `undefined` (NaN included) means no pause and is reported once per limiter
   * as a process warning.
   */
  readonly retryAfter?: (error: unknown) => number | undefined;
  /**
   * Per-key state kept for at most `maxKeys` idle keys, least recently used evicted first.
   * Default 1000. State that holds something is never evicted: permits, waiters, a bucket
   * still refilling, a pause in force. A key whose adaptive limit moved is evicted only when
   * no other idle key is left to evict.
   */
  readonly key?: { readonly maxKeys?: number };
  /** Waiting raises a waiter's priority by 1 every `aging` ms (default 1000; `Infinity` disables). */
  readonly priority?: { readonly aging?: number };
}

/**
 * AIMD (as TCP): a key's limit is multiplied by `decrease` (rounded down, not below `min`)
 * on an overload, and grows by `increase` once `limit` permits in a row (by weight) succeed.
 * A decrease happens at most once per window: outcomes of permits granted before the last
 * decrease are ignored. A success counts only if, when reported, its key holds at least half
 * its limit (that permit included): an idle key does not grow unproven. A
 * permit heavier than the current limit is granted when its key holds nothing else.
 */
export interface AdaptiveOptions {
  /** The floor: an integer from 1 to `concurrency`. Default 1. */
  readonly min?: number;
  /**
   * Where a key starts: an integer from `min` to `concurrency`. Default `concurrency`: a
   * healthy host gets the full configured concurrency at once, and an overloaded one is
   * brought down fast (halving, once per round trip), whereas growing from a low start takes
   * about `limit` successes per step.
   */
  readonly initial?: number;
  /** The factor applied on an overload, in (0, 1). Default 0.5. */
  readonly decrease?: number;
  /** Slots added after `limit` successes: an integer >= 1. Default 1. */
  readonly increase?: number;
}

/** Reads every option once. */
export function checkPolicy(input: LimiterOptions | undefined) {
  const options = readOptions('options', input);
  const concurrency = checkInteger('options.concurrency', options.concurrency ?? Infinity, 1, true);
  const total = checkInteger('options.total', options.total ?? Infinity, 1, true);
  const rate = checkRate(options.rate);
  const adaptive = checkAdaptive(options.adaptive, concurrency);
  const { isOverload, retryAfter } = options;
  if (isOverload !== undefined) checkFunction('options.isOverload', isOverload);
  if (retryAfter !== undefined) checkFunction('options.retryAfter', retryAfter);
  const maxKeys = checkInteger(
    'options.key.maxKeys',
    readOptions('options.key', options.key).maxKeys ?? 1000,
    1,
  );
  const aging = checkNumber(
    'options.priority.aging',
    readOptions('options.priority', options.priority).aging ?? 1000,
    Number.MIN_VALUE,
    true,
  );
  return {
    concurrency,
    total,
    rate,
    adaptive,
    isOverload,
    retryAfter,
    maxKeys,
    aging,
    burst: rate?.burst ?? Infinity,
  };
}

export type Policy = ReturnType<typeof checkPolicy>;

function checkRate(input: RateOptions | undefined): Required<RateOptions> | undefined {
  if (input === undefined) return undefined;
  const rate = readOptions('options.rate', input);
  const limit = checkNumber('options.rate.limit', rate.limit, Number.MIN_VALUE);
  const per = checkNumber('options.rate.per', rate.per, Number.MIN_VALUE);
  const burst = checkNumber('options.rate.burst', rate.burst ?? limit, 1);
  // A rate that rounds to 0 (or overflows) tokens per ms would never refill (or be NaN).
  const perMs = limit / per;
  if (!(perMs > 0 && Number.isFinite(perMs))) {
    throw new OutOfRangeError(
      `Expected options.rate.limit / options.rate.per to be a positive, finite rate per ms, got ${limit} / ${per}`,
    );
  }
  return { limit, per, burst };
}

function checkAdaptive(
  input: boolean | AdaptiveOptions | undefined,
  max: number,
): AdaptivePolicy | undefined {
  if (input === undefined || input === false) return undefined;
  if (input !== true && (typeof input !== 'object' || input === null)) {
    throw new InvalidArgumentError(
      `Expected options.adaptive to be a boolean or an object, got ${input === null ? 'null' : typeof input}`,
    );
  }
  const options = readOptions('options.adaptive', input === true ? undefined : input);
  if (max === Number.POSITIVE_INFINITY) {
    throw new OutOfRangeError(
      'Expected a finite options.concurrency with options.adaptive (the most a key may grow to), got Infinity',
    );
  }
  const min = atMost(
    'options.adaptive.min',
    checkInteger('options.adaptive.min', options.min ?? 1, 1),
    max,
  );
  const initial = atMost(
    'options.adaptive.initial',
    checkInteger('options.adaptive.initial', options.initial ?? max, min),
    max,
  );
  const decrease = checkNumber(
    'options.adaptive.decrease',
    options.decrease ?? 0.5,
    Number.MIN_VALUE,
  );
  if (decrease >= 1) {
    throw new OutOfRangeError(`Expected options.adaptive.decrease < 1, got ${decrease}`);
  }
  const increase = checkInteger('options.adaptive.increase', options.increase ?? 1, 1);
  return { min, max, initial, decrease, increase };
}

function atMost(name: string, value: number, max: number): number {
  if (value > max) {
    throw new OutOfRangeError(`Expected ${name} <= options.concurrency (${max}), got ${value}`);
  }
  return value;
}
