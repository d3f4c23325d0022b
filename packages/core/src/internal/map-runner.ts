/**
 * The engine of `map()` and `asCompleted()`: pulls items lazily, keeps at most `concurrency`
 * of them held (running, or done but not yet yielded), and yields in input or completion
 * order. Every item runs as a child of one scope, so a failure, an outside cancel, or the
 * consumer's `break` aborts the rest and waits for them.
 *
 * @module
 */

import { type Deferred, deferred } from '@tandem/workers/internal';
import { Input } from './map-input.js';
import type { ScopeImpl } from './scope-impl.js';

export type MapOrder = 'input' | 'completion';

interface Slot<R> {
  readonly index: number;
  done: boolean;
  value?: R;
}

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
  let input: Input<I>;
  try {
    input = new Input(items, s.signal);
  } catch (error) {
    await s.join();
    s.exit({ ok: true, value: undefined });
    throw error;
  }
  const held = new Held<Awaited<R>>(order);
  let wake: Deferred<void> | undefined;
  const poke = () => wake?.resolve();
  s.signal.addEventListener('abort', poke, { once: true });
  let nextIndex = 0;
  let completed = false;

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
      while (!input.exhausted && held.size < concurrency && !s.signal.aborted) {
        const next = await input.next();
        if (next !== undefined && !s.signal.aborted) start(next.value);
      }
      const slot = held.take();
      if (slot) yield slot.value as Awaited<R>;
      else if (input.exhausted && held.size === 0) break;
      else if (!s.signal.aborted) {
        wake = deferred();
        await wake.promise;
      }
    }
    completed = !s.signal.aborted;
  } finally {
    s.signal.removeEventListener('abort', poke);
    await finish(s, input, completed);
  }
}

/**
 * Every way out that leaves work behind (break, throw, a failed item, an outside cancel, an
 * input that threw) cancels the items in flight and closes the input, once; then waits for
 * the items. Throws the first failure (one raised while cleaning up after a `break` too), the
 * outside cancel, or else what the input's `return()` threw; a clean end or a `break` returns.
 */
async function finish(s: ScopeImpl, input: Input<unknown>, completed: boolean): Promise<void> {
  if (!completed) {
    if (s.signal.aborted) s.stoppedByAbort();
    else s.cancel();
  }
  let closeFailure: { readonly error: unknown } | undefined;
  try {
    await input.close();
  } catch (error) {
    closeFailure = { error };
  }
  await s.join();
  s.exit({ ok: true, value: undefined });
  if (closeFailure) throw closeFailure.error;
}
