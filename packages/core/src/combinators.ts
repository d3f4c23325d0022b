/**
 * Promise combinators with cancellation: each input is a function of an `AbortSignal`, runs
 * as a child of one scope, and whatever is no longer needed (siblings of a failure, losers
 * of a race, the rest after a `break`) is aborted and awaited before the combinator settles.
 *
 * @module
 */

import { InvalidArgumentError, OutOfRangeError } from '@tandem/workers';
import {
  checkFunction,
  checkFunctions,
  checkInteger,
  checkOneOf,
  checkSignal,
} from '@tandem/workers/internal';
import { AllFailedError, CancelledError } from './errors.js';
import { isCancellation } from './internal/canceller.js';
import { type MapOrder, runMap } from './internal/map-runner.js';
import { readOptions } from './internal/read-options.js';
import { newScope } from './scope.js';

/** Cancellable work: called with the signal that tells it to stop. */
export type Work<T> = (signal: AbortSignal) => T | PromiseLike<T>;

/** Options of every combinator. */
export interface CombinatorOptions {
  /** Shown in `tasks()` and in paths. */
  readonly name?: string | undefined;
  /**
   * A foreign signal that cancels everything as if from outside. It joins the running
   * scope's cancellation (both apply).
   */
  readonly signal?: AbortSignal | undefined;
}

/** `fns` must be an array of functions. */
function checkWork(fns: readonly unknown[]): void {
  if (!Array.isArray(fns)) {
    throw new InvalidArgumentError(
      `Expected fns to be an array of functions, got ${fns === null ? 'null' : typeof fns}`,
    );
  }
  checkFunctions('fns', fns);
}

/** The scope a combinator runs its work in, its options read once. */
function openCombinator(kind: string, input: CombinatorOptions | undefined) {
  const { name = kind, signal } = readOptions('options', input);
  return newScope({ name, signal }, { errorMode: 'first' });
}

type Results<W extends readonly Work<unknown>[]> = {
  -readonly [K in keyof W]: Awaited<ReturnType<W[K]>>;
};

/**
 * Runs every function concurrently and resolves with their values in input order. The
 * first failure aborts the others and, once they settled, rejects with that failure
 * (later failures are dropped; use `scope()` to see them all). An outside cancel rejects
 * with its reason.
 *
 * @example
 * const [user, posts] = await all([(s) => getUser(id, s), (s) => getPosts(id, s)]);
 */
export async function all<const W extends readonly Work<unknown>[]>(
  fns: W,
  options?: CombinatorOptions,
): Promise<Results<W>> {
  checkWork(fns);
  const s = openCombinator('all', options);
  const results: unknown[] = new Array(fns.length);
  await s.run((sc) => {
    for (const [i, fn] of fns.entries()) {
      sc.spawn(async (signal) => {
        results[i] = await fn(signal);
      });
    }
  });
  return results as Results<W>;
}

/**
 * Runs every function concurrently and resolves with each outcome, like
 * `Promise.allSettled`; a failure does not abort the others. An outside cancel rejects
 * with its reason once everything settled.
 */
export async function allSettled<const W extends readonly Work<unknown>[]>(
  fns: W,
  options?: CombinatorOptions,
): Promise<{ -readonly [K in keyof W]: PromiseSettledResult<Awaited<ReturnType<W[K]>>> }> {
  checkWork(fns);
  const s = openCombinator('allSettled', options);
  const results: PromiseSettledResult<unknown>[] = new Array(fns.length);
  await s.run((sc) => {
    for (const [i, fn] of fns.entries()) {
      sc.spawn(async (signal) => {
        try {
          results[i] = { status: 'fulfilled', value: await fn(signal) };
        } catch (reason) {
          // A cancellation must reach the scope so it can reject with the outside reason.
          if (isCancellation(reason, signal)) throw reason;
          results[i] = { status: 'rejected', reason };
        }
      });
    }
  });
  return results as never;
}

type Winner<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: unknown };

/**
 * Runs `fns` until one of them wins, then cancels and joins the rest. A failure wins a
 * `race`; in `any` it is only recorded (at its input index) in `errors`.
 */
async function firstOf<T>(
  kind: 'race' | 'any',
  s: ReturnType<typeof openCombinator>,
  fns: readonly Work<T>[],
  errors: unknown[] = [],
): Promise<Winner<T> | undefined> {
  let winner: Winner<T> | undefined;
  const win = (w: Winner<T>) => {
    winner = w;
    s.cancel(new CancelledError(`Another task won the ${kind}; this one is no longer needed.`));
  };
  await s.run((sc) => {
    for (const [i, fn] of fns.entries()) {
      sc.spawn(async (signal) => {
        try {
          const value = await fn(signal);
          if (winner === undefined) win({ ok: true, value });
        } catch (error) {
          if (winner !== undefined) return; // a loser's end, whatever it is, is not news
          if (isCancellation(error, signal)) throw error;
          if (kind === 'race') win({ ok: false, error });
          else errors[i] = error;
        }
      });
    }
  });
  return winner;
}

/**
 * Settles like the first function to settle (value or error), then aborts the others and
 * waits for them before returning.
 *
 * @throws OutOfRangeError `ERR_TANDEM_OUT_OF_RANGE` for an empty list (it could never settle).
 *
 * @example
 * const fastest = await race(mirrors.map((m) => (signal) => fetch(m, { signal })));
 */
export async function race<T>(fns: readonly Work<T>[], options?: CombinatorOptions): Promise<T> {
  checkWork(fns);
  if (fns.length === 0) throw new OutOfRangeError('Expected fns.length >= 1, got 0');
  const winner = await firstOf('race', openCombinator('race', options), fns);
  if (winner === undefined)
    throw new CancelledError('The race was cancelled before any task settled.');
  if (winner.ok) return winner.value;
  throw winner.error;
}

/**
 * Resolves with the first value, then aborts the others and waits for them. A failure
 * aborts nothing; if every function fails (or `fns` is empty), rejects with `AllFailedError`
 * (`ERR_TANDEM_ALL_FAILED`, an `AggregateError`) whose `errors` are theirs in input order,
 * like `Promise.any`. An outside cancel rejects with its reason.
 *
 * @example
 * const replica = await any(replicas.map((r) => (signal) => r.query(sql, { signal })));
 */
export async function any<T>(fns: readonly Work<T>[], options?: CombinatorOptions): Promise<T> {
  checkWork(fns);
  const errors: unknown[] = new Array(fns.length);
  const winner = await firstOf('any', openCombinator('any', options), fns, errors);
  if (winner?.ok) return winner.value;
  throw new AllFailedError(errors);
}

/** Options of {@link map}. */
export interface ConcurrentMapOptions extends CombinatorOptions {
  /** Items held at once (running, or done but not yet yielded). Default 16; `Infinity` allowed. */
  readonly concurrency?: number;
  /** `'input'` (default) yields in input order; `'completion'` as soon as each is done. */
  readonly order?: MapOrder;
}

const DEFAULT_MAP_CONCURRENCY = 16;

/**
 * Maps `items` (any iterable or async iterable, read lazily: an infinite generator works)
 * through `fn` with at most `concurrency` items held, as an async iterator. The first
 * failure aborts the items in flight and, once they settled, is thrown from the iteration;
 * a `break` aborts the items in flight, waits for them and closes `items`.
 *
 * @throws OutOfRangeError `ERR_TANDEM_OUT_OF_RANGE` if `concurrency < 1`.
 *
 * @example
 * for await (const page of map(urls, (url, signal) => fetch(url, { signal }), { concurrency: 8 })) {
 *   if (await done(page)) break; // aborts the rest
 * }
 */
export function map<I, R>(
  items: Iterable<I> | AsyncIterable<I>,
  fn: (item: I, signal: AbortSignal, index: number) => R | PromiseLike<R>,
  options?: ConcurrentMapOptions,
): AsyncGenerator<Awaited<R>, void, undefined> {
  checkIterable('items', items);
  checkFunction('fn', fn);
  const {
    concurrency = DEFAULT_MAP_CONCURRENCY,
    order = 'input',
    name = 'map',
    signal,
  } = readOptions('options', options);
  checkInteger('options.concurrency', concurrency, 1, true);
  checkOneOf('options.order', order, ['input', 'completion']);
  checkSignal('options.signal', signal);
  const open = () => newScope({ name, signal }, { errorMode: 'first' });
  return runMap(items, fn, concurrency, order, open);
}

/** Something `for await…of` can read: a sync or async iterable (a string too). */
function checkIterable(name: string, value: unknown): void {
  const readable = (key: symbol) =>
    value !== null &&
    value !== undefined &&
    typeof (value as Record<symbol, unknown>)[key] === 'function';
  if (!readable(Symbol.asyncIterator) && !readable(Symbol.iterator)) {
    throw new InvalidArgumentError(
      `Expected ${name} to be an iterable or async iterable, got ${value === null ? 'null' : typeof value}`,
    );
  }
}

/**
 * Runs every function concurrently and yields their values as they complete. The first
 * failure aborts the rest and is thrown from the iteration; a `break` aborts the rest
 * and waits for them.
 *
 * @example
 * for await (const answer of asCompleted(servers.map((s) => (signal) => ask(s, signal)))) {
 *   if (good(answer)) break;
 * }
 */
export function asCompleted<T>(
  fns: readonly Work<T>[],
  options?: CombinatorOptions,
): AsyncGenerator<Awaited<T>, void, undefined> {
  checkWork(fns);
  const { name = 'asCompleted', signal } = readOptions('options', options);
  return map(fns, (fn, signal) => fn(signal), {
    name,
    signal,
    concurrency: Number.POSITIVE_INFINITY,
    order: 'completion',
  });
}

export type { MapOrder } from './internal/map-runner.js';
