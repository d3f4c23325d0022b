/**
 * A token bucket: `limit` tokens per `per` ms, refilled continuously, holding at most
 * `burst`. Unlike fixed windows it never lets through twice the limit across a window edge.
 * The balance may go negative (debt) when a re-entrant call takes tokens without waiting;
 * later callers then wait for the debt to be repaid.
 *
 * @module
 */

export interface RateOptions {
  /** Tokens added every `per` milliseconds. */
  readonly limit: number;
  /** The refill period in milliseconds. */
  readonly per: number;
  /** Bucket size: the most that can be taken at once after a quiet spell. Default `limit`. */
  readonly burst?: number;
}

export class TokenBucket {
  readonly #ratePerMs: number;
  readonly #burst: number;
  #tokens: number;
  #updatedAt: number;

  constructor(options: RateOptions, now: number) {
    this.#ratePerMs = options.limit / options.per;
    this.#burst = options.burst ?? options.limit;
    this.#tokens = this.#burst;
    this.#updatedAt = now;
  }

  /** Tokens available at `now`. */
  available(now: number): number {
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#ratePerMs);
    this.#updatedAt = now;
    return this.#tokens;
  }

  /** Whether the bucket is full at `now` (dropping it loses nothing). */
  full(now: number): boolean {
    return this.available(now) >= this.#burst;
  }

  take(weight: number, now: number): void {
    this.available(now);
    this.#tokens -= weight;
  }

  /** Milliseconds until `weight` tokens are available. */
  waitFor(weight: number, now: number): number {
    const missing = weight - this.available(now);
    return missing <= 0 ? 0 : Math.ceil(missing / this.#ratePerMs);
  }
}
