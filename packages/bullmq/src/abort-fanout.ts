/**
 * One abort listener per signal, however many runs share it (a scope's signal often covers
 * hundreds): a listener each would be hundreds of closures on one signal and Node's
 * MaxListenersExceededWarning. The listener goes once the last run leaves, so a long-lived
 * signal keeps nothing. (The same idea as `@tandem/workers`' own, which is not exported.)
 *
 * @module
 */
export class AbortFanout<Item> {
  readonly #entries = new WeakMap<AbortSignal, { items: Set<Item>; detach: () => void }>();
  readonly #onAbort: (item: Item, reason: unknown) => void;

  /** `onAbort` is called for every subscribed item when its signal aborts. */
  constructor(onAbort: (item: Item, reason: unknown) => void) {
    this.#onAbort = onAbort;
  }

  /** Subscribes `item` to `signal`'s abort; returns the unsubscribe function. */
  subscribe(signal: AbortSignal, item: Item): () => void {
    let entry = this.#entries.get(signal);
    if (entry === undefined) {
      const items = new Set<Item>();
      const listener = () => {
        this.#entries.delete(signal);
        for (const each of items) this.#onAbort(each, signal.reason);
      };
      signal.addEventListener('abort', listener, { once: true });
      entry = { items, detach: () => signal.removeEventListener('abort', listener) };
      this.#entries.set(signal, entry);
    }
    const joined = entry;
    joined.items.add(item);
    return () => {
      joined.items.delete(item);
      if (joined.items.size === 0 && this.#entries.get(signal) === joined) {
        this.#entries.delete(signal);
        joined.detach();
      }
    };
  }
}
