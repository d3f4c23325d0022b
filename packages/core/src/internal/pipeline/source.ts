/**
 * Reading the source lazily, in chunks: a sync iterable up to `chunk` items per pull, an
 * async one an item per pull. Reading stops when intake is stopped, and an async source
 * blocked in `next()` is left at once (then closed with `return()`).
 *
 * @module
 */
import { InvalidArgumentError } from '@tandem/workers';
import type { Deferred } from '@tandem/workers/internal';

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
  const stop = reader.stopped.promise.then((): typeof STOP => STOP);
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  // As with for…of, an iterator whose next() threw is broken: it is not asked to return().
  let broken = false;
  if (Symbol.asyncIterator in source) {
    const it = source[Symbol.asyncIterator]();
    try {
      for (;;) {
        broken = true;
        const result = await Promise.race([it.next(), stop]);
        broken = false;
        if (result === STOP) return;
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
    while (!stopped) {
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
