/**
 * One key's adaptive concurrency limit: additive increase, multiplicative decrease (AIMD),
 * as TCP's congestion window. An overload halves the limit (by default), successes add one
 * slot per `limit` of them (about one per round trip). Two guards keep it honest:
 *
 * - windows: a decrease applies at most once per window. Permits granted before the last
 *   decrease report on the old limit, so their outcomes (overloads and successes alike) are
 *   ignored; a burst of failures of requests that all started together halves once, not to
 *   the floor.
 * - use: a success counts towards growth only if, when it is reported, the key holds at
 *   least half its limit (this permit included), so a key that is never busy does not drift
 *   up to the cap unproven (RFC 7661's "congestion window validation", in spirit). Waiters
 *   prove nothing: they may be waiting for tokens, a pause or the `total`.
 *
 * @module
 */

/** The checked policy (see `AdaptiveOptions` in limiter-policy.ts). */
export interface AdaptivePolicy {
  readonly min: number;
  readonly max: number;
  readonly initial: number;
  readonly decrease: number;
  readonly increase: number;
}

/** What a permit remembers from its grant, to report its outcome against the right window. */
export interface Ticket {
  readonly window: number;
}

export class AdaptiveLimit {
  readonly #policy: AdaptivePolicy;
  #limit: number;
  #window = 0;
  /** Weight of the successes counted since the last change of the limit. */
  #successes = 0;

  constructor(policy: AdaptivePolicy) {
    this.#policy = policy;
    this.#limit = policy.initial;
  }

  get limit(): number {
    return this.#limit;
  }

  /** Whether dropping this state would lose something learned (the limit moved). */
  get learned(): boolean {
    return this.#limit !== this.#policy.initial;
  }

  /** The ticket of a permit granted now. */
  ticket(): Ticket {
    return { window: this.#window };
  }

  /** A success of `weight`; `active` is what the key holds, this permit included. */
  succeeded(ticket: Ticket, weight: number, active: number): void {
    if (ticket.window !== this.#window || active * 2 < this.#limit) return;
    this.#successes += weight;
    if (this.#successes < this.#limit) return;
    this.#successes = 0;
    this.#limit = Math.min(this.#policy.max, this.#limit + this.#policy.increase);
  }

  /** Returns whether the limit went down (it does once per window). */
  overloaded(ticket: Ticket): boolean {
    if (ticket.window !== this.#window) return false;
    const { min, decrease } = this.#policy;
    const before = this.#limit;
    this.#limit = Math.max(min, Math.floor(before * decrease));
    this.#successes = 0;
    this.#window++;
    return this.#limit < before;
  }
}
