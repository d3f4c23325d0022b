/**
 * The public surface of `limiter()`: the limiter, its permits, their options and counters.
 * The behaviour lives in limiter.ts.
 *
 * @module
 */

/** Options of one acquisition. */
export interface AcquireOptions {
  /** Higher goes first: a finite number. Default 0. */
  readonly priority?: number | undefined;
  /** Slots and tokens taken: an integer, 1 to `concurrency`, `total` and `burst`. Default 1. */
  readonly weight?: number | undefined;
  /** Whose limits apply (e.g. a host name): a string. Default `''`. */
  readonly key?: string | undefined;
}

/** Options of {@link Limiter.run}. */
export interface LimiterRunOptions extends AcquireOptions {
  /**
   * Gives up waiting (and is passed to `fn`). It joins the running scope's signal (both
   * apply); `fn` gets the joined signal, or undefined outside any scope without one.
   */
  readonly signal?: AbortSignal | undefined;
}

/**
 * A held permit. Give it back once, saying how the work went (the first call counts, later
 * ones do nothing): `release()` when it succeeded, `fail(error)` when it failed. Leaving a
 * `using` block gives it back without an outcome (the block may have exited by a throw), so
 * with `adaptive`, report with `release()`/`fail()` — or use `run()`, which does.
 */
export interface Permit extends Disposable {
  /** Gives the permit back; the work succeeded (an adaptive limit may grow). */
  release(): void;
  /**
   * Gives the permit back; the work failed with `error`. An overload (see
   * `LimiterOptions.isOverload`) shrinks an adaptive limit; a `retryAfter` pauses the key.
   * Other failures count for nothing. Never throws.
   */
  fail(error: unknown): void;
}

/** Counters of {@link Limiter.stats}. */
export interface LimiterStats {
  /** Permits held, by weight, over all keys. */
  readonly active: number;
  /** Waiters queued over all keys. */
  readonly waiting: number;
  /** Keys with state kept. */
  readonly keys: number;
  readonly paused: boolean;
}

/** One key's counters, from {@link Limiter.keyStats}. */
export interface KeyStats {
  /** Permits of this key held, by weight. */
  readonly active: number;
  /** Waiters of this key. */
  readonly waiting: number;
  /** The key's concurrency limit now: the adaptive one, else `concurrency`. */
  readonly limit: number;
  /** Milliseconds left of the key's pause: 0 when not paused, `Infinity` until `resumeKey()`. */
  readonly pausedFor: number;
}

/** See {@link limiter}. */
export interface Limiter {
  /**
   * Waits for a permit. `signal` joins the running scope's signal (both apply). Rejects with
   * the reason if one aborts first; an aborted waiter leaves the queue at once and never
   * takes capacity (a permit granted in the very tick of the abort is the caller's). Bad
   * options reject with `ERR_TANDEM_INVALID_ARGUMENT` or `ERR_TANDEM_OUT_OF_RANGE`.
   */
  acquire(signal?: AbortSignal, options?: AcquireOptions): Promise<Permit>;
  /**
   * Runs `fn(signal)` under a permit, released when `fn` settles, with `fn`'s outcome
   * reported (see {@link Permit}): success if it resolves, `fail(error)` if it throws or
   * rejects. A call to this limiter from inside `fn` for the same key is granted at once, and
   * one for another key does not wait for `total` (see `limiter()`), so nesting never
   * deadlocks on a slot its caller holds. If the signal aborts before `fn` starts (even in the
   * tick the permit is granted), `fn` is not called, the call rejects with the reason and
   * nothing is reported.
   */
  run<T>(
    fn: (signal: AbortSignal | undefined) => T | PromiseLike<T>,
    options?: LimiterRunOptions,
  ): Promise<T>;
  /** Stops granting permits (held ones stay valid). */
  pause(): void;
  /** Grants again (key pauses stay in force). */
  resume(): void;
  /**
   * Grants no permit of `key` for `ms` milliseconds (`Infinity`: until `resumeKey`); other
   * keys go on, held permits stay valid. A pause only ever extends: a shorter one than the
   * pause in force changes nothing. Throws `ERR_TANDEM_INVALID_ARGUMENT` for a key that is
   * not a string or a `ms` that is not a number, `ERR_TANDEM_OUT_OF_RANGE` for `ms < 0`.
   */
  pauseKey(key: string, ms: number): void;
  /** Ends `key`'s pause now. Throws `ERR_TANDEM_INVALID_ARGUMENT` for a key that is not a string. */
  resumeKey(key: string): void;
  /** Resolves when nothing is held or waiting. */
  onIdle(): Promise<void>;
  stats(): LimiterStats;
  /**
   * `key`'s counters (a key without state reads as fresh: nothing held, the initial limit).
   * Reading does not create state or refresh the key's LRU place.
   */
  keyStats(key: string): KeyStats;
}
