/**
 * Who gets the next permit. A key whose head waiter passes the key's own checks (its limit,
 * its pause, its tokens) is "ready" and queued by that head; grants go from the best ready
 * head while `total` allows, so a key held back by its own limits never holds back another
 * key, and across keys the order is the waiters' order (aged priority, then first come).
 * Nested waiters (asked from inside `run()`) skip the ready queue: they do not take from
 * `total`, and their caller may hold its last slot.
 *
 * @module
 */

import { clock } from '@tandem/workers';
import { type Deferred, deferred, startTimer } from '@tandem/workers/internal';
import { before, type KeyState, type Waiter } from './limiter-keys.js';
import type { Policy } from './limiter-policy.js';
import { PriorityQueue } from './priority-queue.js';

export class Grants {
  readonly #policy: Policy;
  /** Keys whose head waiter may go as far as the key is concerned, best head first. */
  readonly #ready = new PriorityQueue<KeyState>((a, b) => before(a.queue.peek()!, b.queue.peek()!));
  /** Held weight over all keys. */
  #active = 0;
  /** Held weight that counts against `total` (nested permits do not). */
  #inTotal = 0;
  #waiting = 0;
  #paused = false;
  #idle: Deferred<void> | undefined;

  constructor(policy: Policy) {
    this.#policy = policy;
  }

  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#waiting;
  }

  get paused(): boolean {
    return this.#paused;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(keys: Iterable<KeyState>): void {
    this.#paused = false;
    for (const s of keys) this.#consider(s);
    this.#drain();
  }

  /** Queues `waiter` on `s` and grants what can go. */
  add(s: KeyState, waiter: Waiter): void {
    (waiter.nested ? s.nested : s.queue).push(waiter);
    this.#waiting++;
    this.pump(s);
  }

  /** Takes a waiting `waiter` out of `s`'s queue; false if it was granted already. */
  remove(s: KeyState, waiter: Waiter): boolean {
    if (!(waiter.nested ? s.nested : s.queue).remove(waiter)) return false;
    this.#waiting--;
    this.pump(s); // the head may have changed: a lighter waiter may fit now
    return true;
  }

  /** `waiter`'s permit came back (its outcome already applied to `s`). */
  released(s: KeyState, waiter: Waiter): void {
    s.active -= waiter.weight;
    this.#active -= waiter.weight;
    if (!waiter.nested) this.#inTotal -= waiter.weight;
    this.pump(s);
  }

  /** Re-decides `s` (its queue, limit, pause or tokens changed), then grants what can go. */
  pump(s: KeyState): void {
    this.#consider(s);
    this.#drain();
  }

  onIdle(): Promise<void> {
    this.#idle ??= deferred();
    const promise = this.#idle.promise;
    this.#checkIdle();
    return promise;
  }

  /**
   * Grants `s`'s nested waiters and puts `s` in the ready queue if its next head may go, as
   * far as `s` is concerned (its limit, pause and tokens).
   */
  #consider(s: KeyState): void {
    s.timer?.cancel();
    s.timer = undefined;
    // Out first: `s`'s head may have changed, which would break the ready queue's order.
    this.#ready.remove(s);
    while (!this.#paused) {
      const nested = s.nested.peek();
      const top = nested ?? s.queue.peek();
      if (top === undefined) return;
      // A permit heavier than an adaptive limit goes alone, or it would never go.
      const limit = s.adaptive?.limit ?? this.#policy.concurrency;
      if (s.active > 0 && s.active + top.weight > limit) return; // a release re-decides
      const wait = s.bucket === undefined && s.pausedUntil === -Infinity ? 0 : waitFor(s, top);
      if (wait > 0) {
        // startTimer: a slow rate (one token a month) must not be retried every millisecond;
        // an endless pause arms nothing.
        s.timer = startTimer(wait, () => this.pump(s));
        return;
      }
      if (nested === undefined) {
        this.#ready.push(s);
        return;
      }
      this.#grant(s, s.nested, nested);
    }
  }

  /** Grants from the best ready head while `total` allows. */
  #drain(): void {
    while (!this.#paused) {
      const s = this.#ready.peek();
      const top = s?.queue.peek();
      if (s === undefined || top === undefined) break;
      if (this.#inTotal + top.weight > this.#policy.total) break;
      this.#grant(s, s.queue, top);
      this.#consider(s);
    }
    this.#checkIdle();
  }

  #grant(s: KeyState, queue: PriorityQueue<Waiter>, top: Waiter): void {
    queue.remove(top);
    this.#waiting--;
    s.active += top.weight;
    this.#active += top.weight;
    if (!top.nested) this.#inTotal += top.weight;
    s.bucket?.take(top.weight, clock().now());
    top.grant(s.adaptive?.ticket());
  }

  #checkIdle(): void {
    if (this.#idle === undefined || this.#active > 0 || this.#waiting > 0) return;
    this.#idle.resolve();
    this.#idle = undefined;
  }
}

/** Milliseconds until `s`'s pause ends and its bucket holds `top`'s tokens. */
function waitFor(s: KeyState, top: Waiter): number {
  const now = clock().now();
  return Math.max(s.pausedUntil - now, s.bucket?.waitFor(top.weight, now) ?? 0);
}
