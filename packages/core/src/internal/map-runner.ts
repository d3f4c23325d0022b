/**
 * The engine of `map()` and `asCompleted()`: pulls items lazily, keeps at most `concurrency`
 * of them held (running, or done but not yet yielded), and yields in input or completion
 * order. Every item runs as a child of one scope, so a failure, an outside cancel, or the
 * consumer's `break` aborts the rest and waits for them.
 *
 * @module
 */

import { type Deferred, deferred } from '@tandem/workers/internal';
import type { ScopeImpl } from './scope-impl.js';

export type MapOrder = 'input' | 'completion';

interface Slot<R> {
  readonly index: number;
  done: boolean;
  value?: R;
}

type Source<I> = Iterator<I> | AsyncIterator<I>;

/** The items held by one `map()` run and the order in which they leave. */
class Held<R> {
  readonly #order: MapOrder;
  readonly #slots = new Map<number, Slot<R>>();
  readonly #completed: Slot<R>[] = [];
  #nextToYield = 0;

  constructor(order: MapOrder) {
    this.#order = order;
  }

  get size(): number {
    return this.#slots.size;
  }

  add(index: number): Slot<R> {
    const slot: Slot<R> = { index, done: false };
    this.#slots.set(index, slot);
    return slot;
  }

  complete(slot: Slot<R>, value: R): void {
    slot.done = true;
    slot.value = value;
    this.#completed.push(slot);
  }

  /** The next slot to yield, removed from the held set, or undefined if none is ready. */
  take(): Slot<R> | undefined {
    let slot: Slot<R> | undefined;
    if (this.#order === 'completion') slot = this.#completed.shift();
    else {
      const next = this.#slots.get(this.#nextToYield);
      if (next?.done) {
        slot = next;
        this.#nextToYield++;
      }
    }
    if (slot) this.#slots.delete(slot.index);
    return slot;
  }
}

export async function* runMap<I, R>(
  items: Iterable<I> | AsyncIterable<I>,
  fn: (item: I, signal: AbortSignal, index: number) => R | PromiseLike<R>,
  concurrency: number,
  order: MapOrder,
  openScope: () => ScopeImpl,
): AsyncGenerator<Awaited<R>, void, undefined> {
  // Opened on the first `next()`, under the scope running then: an iterator that is never
  // consumed leaves nothing behind.
  const s = openScope();
  const source: Source<I> =
    Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();
  const held = new Held<Awaited<R>>(order);
  let wake: Deferred<void> | undefined;
  const poke = () => wake?.resolve();
  s.signal.addEventListener('abort', poke, { once: true });
  let exhausted = false;
  let nextIndex = 0;
  let finished = false;

  const start = (item: I) => {
    const slot = held.add(nextIndex++);
    const task = s.spawn((signal) => fn(item, signal, slot.index), { name: `item-${slot.index}` });
    task.result.then((value) => {
      held.complete(slot, value as Awaited<R>);
      poke();
    }, poke); // a failure aborts the scope, which the loop below notices
  };

  try {
    while (!s.signal.aborted) {
      while (!exhausted && held.size < concurrency && !s.signal.aborted) {
        const next = await source.next();
        if (next.done) exhausted = true;
        else start(next.value);
      }
      const slot = held.take();
      if (slot) yield slot.value as Awaited<R>;
      else if (exhausted && held.size === 0) break;
      else if (!s.signal.aborted) {
        wake = deferred();
        await wake.promise;
      }
    }
    finished = true;
  } finally {
    s.signal.removeEventListener('abort', poke);
    // The consumer stopped early (break, throw): cancel what is left and close the source.
    if (!finished) {
      s.cancel();
      await source.return?.();
    }
    await s.join();
    // Throws the first failure (one raised while cleaning up after a `break` too) or the
    // outside cancel; a clean end or a `break` returns.
    s.exit({ ok: true, value: undefined });
  }
}
