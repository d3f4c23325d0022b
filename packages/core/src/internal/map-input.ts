/**
 * The input of `map()`: a sync or async iterator read one item at a time, where waiting for
 * an async input gives way to the scope's abort (a stuck input must not hold up a cancel),
 * and which is closed (`return()`, once) when left unfinished, never after it ran out or
 * threw, as `for…of` does.
 *
 * @module
 */

/** Where `map()` reads its items: a sync or async iterator, closed once if left unfinished. */
export class Input<I> {
  readonly #iterator: Iterator<I> | AsyncIterator<I>;
  readonly #signal: AbortSignal;
  /** Ran out or threw: nothing to close (as with for…of). */
  #finished = false;
  /** A `next()` abandoned when the scope aborted, still pending. */
  #pending = false;

  constructor(items: Iterable<I> | AsyncIterable<I>, signal: AbortSignal) {
    const asyncIterator = (items as AsyncIterable<I>)[Symbol.asyncIterator];
    this.#iterator =
      typeof asyncIterator === 'function'
        ? asyncIterator.call(items)
        : (items as Iterable<I>)[Symbol.iterator]();
    this.#signal = signal;
  }

  /**
   * The next item, or undefined when the input ran out or the scope aborted while an async
   * input was still producing (a stuck input must not hold up a cancel).
   */
  async next(): Promise<{ readonly value: I } | undefined> {
    try {
      const result: IteratorResult<I> | PromiseLike<IteratorResult<I>> = this.#iterator.next();
      const next = isPromiseLike(result) ? await this.#unlessAborted(result) : result;
      if (next === undefined) return undefined;
      if (typeof next !== 'object' || next === null) {
        // As for…of does: anything else would read as an endless run of undefined items.
        throw new TypeError(`Iterator result ${String(next)} is not an object`);
      }
      if (next.done) this.#finished = true;
      return next.done ? undefined : { value: next.value };
    } catch (error) {
      this.#finished = true;
      throw error;
    }
  }

  get exhausted(): boolean {
    return this.#finished;
  }

  /**
   * Calls the input's `return()` once, unless it ran out or threw. Behind an abandoned
   * `next()`, an async generator queues the `return()`: it is started, not awaited.
   */
  async close(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    if (!this.#pending) {
      await this.#iterator.return?.();
      return;
    }
    try {
      Promise.resolve(this.#iterator.return?.()).catch(noop);
    } catch {
      // Nobody waits for this input any more: a late failure has nowhere to go.
    }
  }

  #unlessAborted(result: PromiseLike<IteratorResult<I>>): Promise<IteratorResult<I> | undefined> {
    const signal = this.#signal;
    return new Promise((resolve, reject) => {
      const onAbort = () => resolve(undefined);
      this.#pending = true;
      signal.addEventListener('abort', onAbort, { once: true });
      Promise.resolve(result).then(
        (next) => {
          this.#pending = false;
          signal.removeEventListener('abort', onAbort);
          resolve(next);
        },
        (error: unknown) => {
          this.#pending = false;
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }
}

const noop = () => {};

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
