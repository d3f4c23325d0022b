/**
 * One policy object for "not too many, not too fast": a concurrency cap, a token bucket,
 * per-key state (per-host limits) with LRU eviction, and priorities that age so nothing
 * starves. `acquire()` returns a `Disposable` permit; `run()` wraps a function.
 *
 * @module
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { clock, InvalidArgumentError, OutOfRangeError } from '@tandem/workers';
import {
  checkFunction,
  checkInteger,
  checkNumber,
  checkSignal,
  type Deferred,
  deferred,
  startTimer,
  type Timer,
} from '@tandem/workers/internal';
import { readOptions } from './internal/read-options.js';
import { waitSignal } from './internal/wait-signal.js';
import { type HeapItem, PriorityQueue } from './priority-queue.js';
import { type RateOptions, TokenBucket } from './token-bucket.js';

/** The policy of {@link limiter}. Every limit applies per key. */
export interface LimiterOptions {
  /** Permits (by weight) held at once per key. Default `Infinity`. */
  readonly concurrency?: number;
  /** A token bucket per key: `limit` per `per` ms, at most `burst` (default `limit`) at once. */
  readonly rate?: RateOptions;
  /** Per-key state kept for at most `maxKeys` idle keys, least recently used evicted first. Default 1000. */
  readonly key?: { readonly maxKeys?: number };
  /** Waiting raises a waiter's priority by 1 every `aging` ms (default 1000; `Infinity` disables). */
  readonly priority?: { readonly aging?: number };
}

/** Options of one acquisition. */
export interface AcquireOptions {
  /** Higher goes first: a finite number. Default 0. */
  readonly priority?: number | undefined;
  /** Concurrency slots and tokens taken: an integer, 1 to `concurrency` and `burst`. Default 1. */
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

/** A held permit; `release()` (or leaving a `using` block) gives it back, once. */
export interface Permit extends Disposable {
  release(): void;
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
   * Runs `fn(signal)` under a permit, released when `fn` settles; calls to this limiter from
   * inside `fn` do not deadlock. If the signal aborts before `fn` starts (even in the tick
   * the permit is granted), `fn` is not called and the call rejects with the reason.
   */
  run<T>(
    fn: (signal: AbortSignal | undefined) => T | PromiseLike<T>,
    options?: LimiterRunOptions,
  ): Promise<T>;
  /** Stops granting permits (held ones stay valid). */
  pause(): void;
  /** Grants again. */
  resume(): void;
  /** Resolves when nothing is held or waiting. */
  onIdle(): Promise<void>;
  stats(): LimiterStats;
}

interface Waiter extends HeapItem {
  readonly seq: number;
  /** `priority − enqueuedAt / aging`: all waiters age alike, so this static rank orders them. */
  readonly rank: number;
  readonly weight: number;
  readonly grant: () => void;
}

interface Request {
  readonly priority: number;
  readonly weight: number;
  readonly key: string;
}

interface KeyState {
  active: number;
  readonly bucket: TokenBucket | undefined;
  readonly queue: PriorityQueue<Waiter>;
  timer: Timer | undefined;
}

/** The permits of the running code, so a nested call can tell it already holds one. */
const held = new AsyncLocalStorage<ReadonlySet<string>>();
let nextLimiterId = 1;
let nextSeq = 0;

/** Reads every option once (a getter or Proxy cannot change it after the check). */
function checkPolicy(input: LimiterOptions | undefined) {
  const options = readOptions('options', input);
  const concurrency = checkInteger('options.concurrency', options.concurrency ?? Infinity, 1, true);
  const rate = checkRate(options.rate);
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
  return { concurrency, rate, maxKeys, aging, burst: rate?.burst ?? Infinity };
}

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

type Policy = ReturnType<typeof checkPolicy>;

/**
 * Builds a limiter. Semantics:
 * - permits are granted strictly by priority (higher first, then first come), a waiter's
 *   priority rising by 1 per `aging` ms of waiting; a heavy waiter at the head is not
 *   overtaken by lighter ones;
 * - the token bucket refills continuously (no fixed-window bursts);
 * - re-entrancy: `run()` marks its async context; a call to the same limiter and key from
 *   inside it is granted at once, without taking a concurrency slot (it runs in its
 *   caller's) but still taking tokens (the bucket may go into debt). A permit taken with a
 *   bare `acquire()` does not mark the context: nesting those can deadlock, as with any lock.
 *
 * @throws OutOfRangeError `ERR_TANDEM_OUT_OF_RANGE` / InvalidArgumentError
 *   `ERR_TANDEM_INVALID_ARGUMENT` for bad options, at once.
 *
 * @example
 * const perHost = limiter({ concurrency: 4, rate: { limit: 10, per: 1_000 } });
 * await perHost.run((signal) => fetch(url, { signal }), { key: new URL(url).host });
 */
export function limiter(options?: LimiterOptions): Limiter {
  return new LimiterImpl(checkPolicy(options));
}

class LimiterImpl implements Limiter {
  readonly #id = nextLimiterId++;
  readonly #policy: Policy;
  readonly #keys = new Map<string, KeyState>();
  #paused = false;
  #idle: Deferred<void> | undefined;

  constructor(policy: Policy) {
    this.#policy = policy;
  }

  async acquire(signal?: AbortSignal, options?: AcquireOptions): Promise<Permit> {
    const request = this.#request(options);
    const wait = waitSignal(checkSignal('signal', signal));
    try {
      return await this.#acquire(wait.signal, request);
    } finally {
      wait.unlink();
    }
  }

  async run<T>(
    fn: (signal: AbortSignal | undefined) => T | PromiseLike<T>,
    options?: LimiterRunOptions,
  ): Promise<T> {
    checkFunction('fn', fn);
    const read = readOptions('options', options);
    const request = this.#request(read);
    const wait = waitSignal(checkSignal('options.signal', read.signal));
    try {
      using _permit = await this.#acquire(wait.signal, request);
      // Granted in the tick the signal aborted: give the permit back rather than start fn.
      wait.signal?.throwIfAborted();
      const mine = new Set(held.getStore());
      mine.add(`${this.#id}:${request.key}`);
      return await held.run(mine, () => fn(wait.signal));
    } finally {
      wait.unlink();
    }
  }

  /** Checks the options of one acquisition, reading each once. */
  #request(input: AcquireOptions | undefined): Request {
    const options = readOptions('options', input);
    const priority = checkNumber('options.priority', options.priority ?? 0, -Infinity);
    const weight = checkInteger('options.weight', options.weight ?? 1, 1);
    const key = options.key ?? '';
    if (typeof key !== 'string') {
      throw new InvalidArgumentError(`Expected options.key to be a string, got ${typeof key}`);
    }
    // Weights are summed per key: past 2³¹ they would soon lose precision (and never sum
    // back to 0 once released), whatever the concurrency.
    const most = Math.min(this.#policy.concurrency, this.#policy.burst, MAX_WEIGHT);
    if (weight > most) {
      throw new OutOfRangeError(
        `Expected options.weight <= ${most} (concurrency and burst), got ${weight}`,
      );
    }
    return { priority, weight, key };
  }

  #acquire(signal: AbortSignal | undefined, { priority, weight, key }: Request): Promise<Permit> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const s = this.#state(key);
    if (held.getStore()?.has(`${this.#id}:${key}`)) {
      // Re-entrant: the caller's slot is lent; the rate still applies (as debt).
      s.bucket?.take(weight, clock().now());
      return Promise.resolve({ release() {}, [Symbol.dispose]() {} });
    }
    return this.#enqueue(s, signal, priority, weight);
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    for (const s of this.#keys.values()) this.#pump(s);
  }

  onIdle(): Promise<void> {
    this.#idle ??= deferred();
    const promise = this.#idle.promise;
    this.#checkIdle();
    return promise;
  }

  stats(): LimiterStats {
    let active = 0;
    let waiting = 0;
    for (const s of this.#keys.values()) {
      active += s.active;
      waiting += s.queue.size;
    }
    return { active, waiting, keys: this.#keys.size, paused: this.#paused };
  }

  #enqueue(
    s: KeyState,
    signal: AbortSignal | undefined,
    priority: number,
    weight: number,
  ): Promise<Permit> {
    const granted = deferred<Permit>();
    const aging = this.#policy.aging;
    const onAbort = () => {
      // Granted in the same tick as the abort: the permit is the caller's, the abort too late.
      if (!s.queue.remove(waiter)) return;
      granted.reject(signal?.reason);
      this.#pump(s); // the head may have changed: a lighter waiter may fit now
    };
    const waiter: Waiter = {
      heapIndex: -1,
      seq: nextSeq++,
      rank: Number.isFinite(aging) ? priority - clock().now() / aging : priority,
      weight,
      grant: () => {
        signal?.removeEventListener('abort', onAbort);
        granted.resolve(this.#permit(s, weight));
      },
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    s.queue.push(waiter);
    this.#pump(s);
    return granted.promise;
  }

  /** The state of `key`, created if needed and marked most recently used. */
  #state(key: string): KeyState {
    let s = this.#keys.get(key);
    if (s)
      this.#keys.delete(key); // re-inserted below: Map order is the LRU order
    else {
      const bucket = this.#policy.rate
        ? new TokenBucket(this.#policy.rate, clock().now())
        : undefined;
      s = { active: 0, bucket, queue: new PriorityQueue(before), timer: undefined };
    }
    this.#keys.set(key, s);
    this.#evict(s);
    return s;
  }

  #evict(keep: KeyState): void {
    const now = clock().now();
    for (const [key, s] of this.#keys) {
      if (this.#keys.size <= this.#policy.maxKeys) return;
      // Only state that carries nothing can go: no holder, no waiter, a full bucket.
      const empty = s.active === 0 && s.queue.size === 0 && (s.bucket?.full(now) ?? true);
      if (s !== keep && empty) this.#keys.delete(key);
    }
  }

  /** Grants from the head of `s`'s queue while capacity and tokens allow. */
  #pump(s: KeyState): void {
    s.timer?.cancel();
    s.timer = undefined;
    while (!this.#paused) {
      const top = s.queue.peek();
      if (!top || s.active + top.weight > this.#policy.concurrency) break;
      const now = clock().now();
      const wait = s.bucket?.waitFor(top.weight, now) ?? 0;
      if (wait > 0) {
        // startTimer: a slow rate (one token a month) must not be retried every millisecond.
        s.timer = startTimer(wait, () => this.#pump(s));
        break;
      }
      s.queue.remove(top);
      s.active += top.weight;
      s.bucket?.take(top.weight, now);
      top.grant();
    }
    this.#checkIdle();
  }

  #checkIdle(): void {
    if (this.#idle === undefined) return;
    for (const s of this.#keys.values()) if (s.active > 0 || s.queue.size > 0) return;
    this.#idle.resolve();
    this.#idle = undefined;
  }

  #permit(s: KeyState, weight: number): Permit {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      s.active -= weight;
      this.#pump(s);
    };
    return { release, [Symbol.dispose]: release };
  }
}

/** The heaviest permit one acquisition may take. */
const MAX_WEIGHT = 2 ** 31 - 1;

function before(a: Waiter, b: Waiter): boolean {
  return a.rank !== b.rank ? a.rank > b.rank : a.seq < b.seq;
}
