/**
 * One policy object for "not too many, not too fast": a concurrency cap per key and over all
 * keys, a token bucket, per-key state (per-host limits) with LRU eviction, priorities that
 * age so nothing starves, per-key concurrency that adapts to overload (AIMD) and per-key
 * pauses (`Retry-After`). `acquire()` returns a `Disposable` permit; `run()` wraps a function.
 * Who goes next is decided in limiter-grants.ts.
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
  deferred,
} from '@tandem/workers/internal';
import type { Ticket } from './adaptive-limit.js';
import { readOptions } from './internal/read-options.js';
import { waitSignal } from './internal/wait-signal.js';
import type {
  AcquireOptions,
  KeyStats,
  Limiter,
  LimiterRunOptions,
  LimiterStats,
  Permit,
} from './limiter-api.js';
import { Grants } from './limiter-grants.js';
import { type KeyState, KeyTable, type Waiter } from './limiter-keys.js';
import { OutcomeReader } from './limiter-outcome.js';
import { checkPolicy, type LimiterOptions, type Policy } from './limiter-policy.js';

export type {
  AcquireOptions,
  KeyStats,
  Limiter,
  LimiterRunOptions,
  LimiterStats,
  Permit,
} from './limiter-api.js';
export type { AdaptiveOptions, LimiterOptions } from './limiter-policy.js';

interface Request {
  readonly priority: number;
  readonly weight: number;
  readonly key: string;
}

type Outcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

const SUCCESS: Outcome = { ok: true };

/** The permits of the running code, so a nested call can tell it already holds one. */
const held = new AsyncLocalStorage<ReadonlySet<string>>();
let nextLimiterId = 1;
let nextSeq = 0;

/** The heaviest permit one acquisition may take. */
const MAX_WEIGHT = 2 ** 31 - 1;

const lent: Permit = { release() {}, fail() {}, [Symbol.dispose]() {} };

/**
 * Builds a limiter. Semantics:
 * - permits are granted strictly by priority (higher first, then first come), a waiter's
 *   priority rising by 1 per `aging` ms of waiting; a heavy waiter at the head is not
 *   overtaken by lighter ones — within a key, and across keys when `total` is the limit;
 * - a key waiting on its own limits (concurrency, adaptive limit, tokens, pause) never
 *   delays another key;
 * - the token bucket refills continuously (no fixed-window bursts);
 * - re-entrancy: `run()` marks its async context; a call to the same limiter and key from
 *   inside it is granted at once, without taking a slot (it runs in its caller's, whose
 *   outcome is the one reported) but still taking tokens (the bucket may go into debt). A
 *   call for another key from inside `run()` (say, a redirect to another host) does not
 *   wait for `total` either (its caller may hold the last slot), but obeys its own key's
 *   limits, ahead of that key's other waiters. A permit taken with a bare `acquire()` does
 *   not mark the context: nesting those can deadlock, as with any lock.
 *
 * @throws OutOfRangeError `ERR_TANDEM_OUT_OF_RANGE` / InvalidArgumentError
 *   `ERR_TANDEM_INVALID_ARGUMENT` for bad options, at once.
 *
 * @example
 * const perHost = limiter({ concurrency: 8, total: 32, adaptive: true });
 * await perHost.run((signal) => fetch(url, { signal }), { key: new URL(url).host });
 */
export function limiter(options?: LimiterOptions): Limiter {
  return new LimiterImpl(checkPolicy(options));
}

class LimiterImpl implements Limiter {
  readonly #id = nextLimiterId++;
  readonly #policy: Policy;
  readonly #keys: KeyTable;
  readonly #grants: Grants;
  readonly #outcomes: OutcomeReader;

  constructor(policy: Policy) {
    this.#policy = policy;
    this.#keys = new KeyTable(policy);
    this.#grants = new Grants(policy);
    this.#outcomes = new OutcomeReader(policy.isOverload, policy.retryAfter);
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
      const permit = await this.#acquire(wait.signal, request);
      if (wait.signal?.aborted) {
        // Granted in the tick the signal aborted: give the permit back rather than start fn.
        permit[Symbol.dispose]();
        throw wait.signal.reason;
      }
      const mine = new Set(held.getStore());
      mine.add(`${this.#id}`).add(`${this.#id}:${request.key}`);
      let value: T;
      try {
        value = await held.run(mine, () => fn(wait.signal));
      } catch (error) {
        permit.fail(error);
        throw error;
      }
      permit.release();
      return value;
    } finally {
      wait.unlink();
    }
  }

  /** Checks the options of one acquisition, reading each once. */
  #request(input: AcquireOptions | undefined): Request {
    const options = readOptions('options', input);
    const priority = checkNumber('options.priority', options.priority ?? 0, -Infinity);
    const weight = checkInteger('options.weight', options.weight ?? 1, 1);
    const key = checkKey('options.key', options.key ?? '');
    // Weights are summed: past 2³¹ they would soon lose precision (and never sum back to 0
    // once released), whatever the limits.
    const { concurrency, total, burst } = this.#policy;
    const most = Math.min(concurrency, total, burst, MAX_WEIGHT);
    if (weight > most) {
      throw new OutOfRangeError(
        `Expected options.weight <= ${most} (concurrency, total and burst), got ${weight}`,
      );
    }
    return { priority, weight, key };
  }

  #acquire(signal: AbortSignal | undefined, request: Request): Promise<Permit> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const s = this.#keys.get(request.key);
    const mine = held.getStore();
    if (mine?.has(`${this.#id}:${request.key}`)) {
      // Re-entrant: the caller's slot is lent; the rate still applies (as debt).
      s.bucket?.take(request.weight, clock().now());
      return Promise.resolve(lent);
    }
    return this.#enqueue(s, signal, request, mine?.has(`${this.#id}`) ?? false);
  }

  pause(): void {
    this.#grants.pause();
  }

  resume(): void {
    this.#grants.resume(this.#keys.values());
  }

  pauseKey(key: string, ms: number): void {
    checkKey('key', key);
    checkNumber('ms', ms, 0, true);
    const s = this.#keys.get(key);
    s.pausedUntil = Math.max(s.pausedUntil, clock().now() + ms);
    this.#grants.pump(s);
  }

  resumeKey(key: string): void {
    const s = this.#keys.peek(checkKey('key', key));
    if (s === undefined) return;
    s.pausedUntil = Number.NEGATIVE_INFINITY;
    this.#grants.pump(s);
  }

  onIdle(): Promise<void> {
    return this.#grants.onIdle();
  }

  stats(): LimiterStats {
    const { active, waiting, paused } = this.#grants;
    return { active, waiting, keys: this.#keys.size, paused };
  }

  keyStats(key: string): KeyStats {
    const s = this.#keys.peek(checkKey('key', key));
    const limit = s?.adaptive?.limit ?? this.#policy.adaptive?.initial ?? this.#policy.concurrency;
    const pausedFor = Math.max(0, (s?.pausedUntil ?? Number.NEGATIVE_INFINITY) - clock().now());
    const waiting = (s?.queue.size ?? 0) + (s?.nested.size ?? 0);
    return { active: s?.active ?? 0, waiting, limit, pausedFor };
  }

  #enqueue(
    s: KeyState,
    signal: AbortSignal | undefined,
    { priority, weight }: Request,
    nested: boolean,
  ): Promise<Permit> {
    const granted = deferred<Permit>();
    const aging = this.#policy.aging;
    const onAbort = () => {
      // Granted in the same tick as the abort: the permit is the caller's, the abort too late.
      if (this.#grants.remove(s, waiter)) granted.reject(signal?.reason);
    };
    const waiter: Waiter = {
      heapIndex: -1,
      seq: nextSeq++,
      rank: Number.isFinite(aging) ? priority - clock().now() / aging : priority,
      weight,
      nested,
      grant: (ticket) => {
        signal?.removeEventListener('abort', onAbort);
        granted.resolve(this.#permit(s, waiter, ticket));
      },
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#grants.add(s, waiter);
    return granted.promise;
  }

  #permit(s: KeyState, waiter: Waiter, ticket: Ticket | undefined): Permit {
    let released = false;
    const give = (outcome: Outcome | undefined) => {
      if (released) return;
      released = true;
      this.#release(s, waiter, ticket, outcome);
    };
    return {
      release: () => give(SUCCESS),
      fail: (error) => give({ ok: false, error }),
      [Symbol.dispose]: () => give(undefined),
    };
  }

  #release(s: KeyState, waiter: Waiter, ticket: Ticket | undefined, outcome?: Outcome): void {
    // The caller's callbacks run first, while the state is whole: they may call this limiter.
    let overload = false;
    let pause = 0;
    if (outcome?.ok === false) {
      overload = ticket !== undefined && this.#outcomes.isOverload(outcome.error);
      pause = this.#outcomes.pauseFor(outcome.error);
    }
    if (ticket !== undefined && s.adaptive !== undefined) {
      if (outcome?.ok) s.adaptive.succeeded(ticket, waiter.weight, s.active);
      else if (overload) s.adaptive.overloaded(ticket);
    }
    if (pause > 0) s.pausedUntil = Math.max(s.pausedUntil, clock().now() + pause);
    this.#grants.released(s, waiter);
  }
}

function checkKey(name: string, key: unknown): string {
  if (typeof key !== 'string') {
    throw new InvalidArgumentError(`Expected ${name} to be a string, got ${typeof key}`);
  }
  return key;
}
