/**
 * Promise combinators with cancellation: each input is a function of an `AbortSignal`, runs
 * as a child of one scope, and whatever is no longer needed (siblings of a failure, losers
 * of a race, the rest after a `break`) is aborted and awaited before the combinator settles.
 *
 * @module
 */

import { OutOfRangeError } from '@tandem/workers';
import { checkFunction, checkFunctions, checkInteger, checkSignal } from '@tandem/workers/internal';
import { CancelledError } from './errors.js';
import { isCancellation } from './internal/canceller.js';
import { type MapOrder, runMap } from './internal/map-runner.js';
import { newScope } from './scope.js';

/** Cancellable work: called with the signal that tells it to stop. */
export type Work<T> = (signal: AbortSignal) => T | PromiseLike<T>;

/** Options of every combinator. */
export interface CombinatorOptions {
  /** Shown in `tasks()` and in paths. */
  readonly name?: string;
  /** A foreign signal that cancels everything as if from outside. */
  readonly signal?: AbortSignal;
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
  options: CombinatorOptions = {},
): Promise<Results<W>> {
  checkFunctions('fns', fns);
  const results: unknown[] = new Array(fns.length);
  const s = newScope({ name: 'all', ...options }, { errorMode: 'first' });
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
  options: CombinatorOptions = {},
): Promise<{ -readonly [K in keyof W]: PromiseSettledResult<Awaited<ReturnType<W[K]>>> }> {
  checkFunctions('fns', fns);
  const results: PromiseSettledResult<unknown>[] = new Array(fns.length);
  const s = newScope({ name: 'allSettled', ...options }, { errorMode: 'first' });
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
  fns: readonly Work<T>[],
  options: CombinatorOptions,
  errors: unknown[] = [],
): Promise<Winner<T> | undefined> {
  let winner: Winner<T> | undefined;
  const s = newScope({ name: kind, ...options }, { errorMode: 'first' });
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
export async function race<T>(
  fns: readonly Work<T>[],
  options: CombinatorOptions = {},
): Promise<T> {
  if (fns.length === 0) throw new OutOfRangeError('Expected fns.length >= 1, got 0');
  checkFunctions('fns', fns);
  const winner = await firstOf('race', fns, options);
  if (winner === undefined)
    throw new CancelledError('The race was cancelled before any task settled.');
  if (winner.ok) return winner.value;
  throw winner.error;
}

/**
 * Resolves with the first value, then aborts the others and waits for them. A failure
 * aborts nothing; if every function fails, rejects with an `AggregateError` of their
 * errors in input order (like `Promise.any`).
 *
 * @example
 * const replica = await any(replicas.map((r) => (signal) => r.query(sql, { signal })));
 */
export async function any<T>(fns: readonly Work<T>[], options: CombinatorOptions = {}): Promise<T> {
  checkFunctions('fns', fns);
  const errors: unknown[] = new Array(fns.length);
  const winner = await firstOf('any', fns, options, errors);
  if (winner?.ok) return winner.value;
  throw new AggregateError(errors, 'Every task failed; see error.errors, in input order.');
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
  options: ConcurrentMapOptions = {},
): AsyncGenerator<Awaited<R>, void, undefined> {
  checkFunction('fn', fn);
  const concurrency = checkInteger(
    'options.concurrency',
    options.concurrency ?? DEFAULT_MAP_CONCURRENCY,
    1,
    true,
  );
  const order = options.order ?? 'input';
  if (order !== 'input' && order !== 'completion') {
    throw new OutOfRangeError(
      `Expected options.order to be 'input' or 'completion', got ${String(order)}`,
    );
  }
  const { name = 'map' } = options;
  const signal = checkSignal('options.signal', options.signal);
  const open = () => newScope(signal ? { name, signal } : { name }, { errorMode: 'first' });
  return runMap(items, fn, concurrency, order, open);
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
  options: CombinatorOptions = {},
): AsyncGenerator<Awaited<T>, void, undefined> {
  checkFunctions('fns', fns);
  return map(fns, (fn, signal) => fn(signal), {
    name: 'asCompleted',
    ...options,
    concurrency: Number.POSITIVE_INFINITY,
    order: 'completion',
  });
}

export type { MapOrder } from './internal/map-runner.js';
