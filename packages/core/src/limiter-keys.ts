/**
 * The limiter's per-key state (a host's permits, queue, bucket, pause and adaptive limit) in
 * a map kept in least-recently-used order, evicting idle keys past `maxKeys`.
 *
 * Eviction drops only what it can drop without changing behaviour, or with the least loss:
 * never a key with permits, waiters, a bucket still refilling or a pause in force (a
 * `Retry-After` must outlive LRU pressure); among idle keys, those that learned nothing
 * first, and only then those whose adaptive limit moved (they would start again from
 * `initial` and learn it anew).
 *
 * @module
 */

import { clock } from '@tandem/workers';
import type { Timer } from '@tandem/workers/internal';
import { AdaptiveLimit, type Ticket } from './adaptive-limit.js';
import type { Policy } from './limiter-policy.js';
import { type HeapItem, PriorityQueue } from './priority-queue.js';
import { TokenBucket } from './token-bucket.js';

export interface Waiter extends HeapItem {
  readonly seq: number;
  /** `priority − enqueuedAt / aging`: all waiters age alike, so this static rank orders them. */
  readonly rank: number;
  readonly weight: number;
  /** Asked from inside `run()` of the same limiter: it does not wait for `total`. */
  readonly nested: boolean;
  readonly grant: (ticket: Ticket | undefined) => void;
}

/** A key's state; as a heap item it sits in the limiter's queue of keys ready to grant. */
export interface KeyState extends HeapItem {
  /** Permits held, by weight. */
  active: number;
  readonly bucket: TokenBucket | undefined;
  readonly queue: PriorityQueue<Waiter>;
  /** Nested waiters (see `Waiter.nested`): served before `queue`. */
  readonly nested: PriorityQueue<Waiter>;
  readonly adaptive: AdaptiveLimit | undefined;
  /** Nothing of this key is granted before this `clock()` time (`-Infinity`: not paused). */
  pausedUntil: number;
  /** Wakes the key when its bucket refills or its pause ends. */
  timer: Timer | undefined;
}

/** Waiters' order: higher rank first, then first come. */
export function before(a: Waiter, b: Waiter): boolean {
  return a.rank !== b.rank ? a.rank > b.rank : a.seq < b.seq;
}

export class KeyTable {
  readonly #policy: Policy;
  readonly #keys = new Map<string, KeyState>();

  constructor(policy: Policy) {
    this.#policy = policy;
  }

  get size(): number {
    return this.#keys.size;
  }

  /** The state of `key` if kept, without touching the LRU order. */
  peek(key: string): KeyState | undefined {
    return this.#keys.get(key);
  }

  values(): IterableIterator<KeyState> {
    return this.#keys.values();
  }

  /** The state of `key`, created if needed and marked most recently used. */
  get(key: string): KeyState {
    let s = this.#keys.get(key);
    if (s)
      this.#keys.delete(key); // re-inserted below: Map order is the LRU order
    else {
      const { rate, adaptive } = this.#policy;
      s = {
        heapIndex: -1,
        active: 0,
        bucket: rate ? new TokenBucket(rate, clock().now()) : undefined,
        queue: new PriorityQueue(before),
        nested: new PriorityQueue(before),
        adaptive: adaptive ? new AdaptiveLimit(adaptive) : undefined,
        pausedUntil: Number.NEGATIVE_INFINITY,
        timer: undefined,
      };
    }
    this.#keys.set(key, s);
    this.#evict(s);
    return s;
  }

  #evict(keep: KeyState): void {
    if (this.#keys.size <= this.#policy.maxKeys) return;
    const now = clock().now();
    for (const learnedToo of [false, true]) {
      for (const [key, s] of this.#keys) {
        if (this.#keys.size <= this.#policy.maxKeys) return;
        const idle =
          s.active === 0 &&
          s.queue.size === 0 &&
          s.nested.size === 0 &&
          s.pausedUntil <= now &&
          (s.bucket?.full(now) ?? true);
        if (s !== keep && idle && (learnedToo || !s.adaptive?.learned)) this.#keys.delete(key);
      }
    }
  }
}
