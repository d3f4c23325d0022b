/**
 * Reading the source lazily, in chunks: a sync iterable up to `chunk` items per pull, an
 * async one an item per pull. Reading stops when intake is stopped, and an async source
 * blocked in `next()` is left at once (then closed with `return()`).
 *
 * @module
 */
import { InvalidArgumentError } from '@tandem/workers';
import type { Deferred } from '@tandem/workers/internal';
import { raceAbort } from './race-abort.js';

export interface SourceReader<T> {
  /** Makes the value travelling for `item`, or undefined to leave it out (resumed, failed). */
  admit(item: unknown): T | undefined;
  /** Resolves when intake stops. */
  readonly stopped: Deferred<void>;
  /** Set by the reader: the source was read to its end. */
  exhausted: boolean;
}

export async function* readSource<T>(
  source: Iterable<unknown> | AsyncIterable<unknown>,
  chunk: number,
  reader: SourceReader<T>,
): AsyncGenerator<T[]> {
  // Intake stops: as a signal, so a blocked next() is raced without piling up reactions.
  const stop = new AbortController();
  void reader.stopped.promise.then(() => stop.abort(STOP));
  const stopped = stop.signal;
  // As with for…of, an iterator whose next() threw is broken: it is not asked to return().
  let broken = false;
  if (Symbol.asyncIterator in source) {
    const it = source[Symbol.asyncIterator]();
    try {
      for (;;) {
        broken = true;
        let result: IteratorResult<unknown>;
        try {
          result = await raceAbort(it.next(), stopped);
        } catch (error) {
          if (error === STOP) {
            broken = false;
            return;
          }
          throw error;
        }
        broken = false;
        checkResult(result);
        if (result.done) {
          reader.exhausted = true;
          return;
        }
        const value = reader.admit(result.value);
        if (value !== undefined) yield [value];
      }
    } finally {
      if (!reader.exhausted && !broken) void Promise.resolve(it.return?.()).catch(() => {});
    }
  }
  const it = (source as Iterable<unknown>)[Symbol.iterator]();
  try {
    while (!stopped.aborted) {
      const out: T[] = [];
      while (out.length < chunk) {
        broken = true;
        const result = it.next();
        broken = false;
        checkResult(result);
        if (result.done) {
          reader.exhausted = true;
          break;
        }
        const value = reader.admit(result.value);
        if (value !== undefined) out.push(value);
      }
      if (out.length > 0) yield out;
      if (reader.exhausted) return;
    }
  } finally {
    if (!reader.exhausted && !broken) it.return?.();
  }
}

/** for…of refuses an iterator result that is not an object; without this, `5` would be an item. */
function checkResult(result: unknown): asserts result is IteratorResult<unknown> {
  if (typeof result !== 'object' || result === null) {
    throw new InvalidArgumentError(
      `Expected the source's next() to give an object { value, done }, got ${result === null ? 'null' : typeof result}`,
    );
  }
}

const STOP: unique symbol = Symbol('stop');
