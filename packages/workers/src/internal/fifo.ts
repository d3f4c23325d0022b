/**
 * A first-in first-out queue with O(1) push, shift and removal by the caller (a removed item
 * is skipped when it reaches the head), for queues whose items are often cancelled.
 */
export class Fifo<Item extends { removed: boolean }> {
  #items: (Item | undefined)[] = [];
  #head = 0;
  #size = 0;

  /** Items that have not been shifted or removed. */
  get size(): number {
    return this.#size;
  }

  push(item: Item): void {
    this.#items.push(item);
    this.#size++;
  }

  /** Puts `item` back at the head (for a task that must go first again). */
  unshift(item: Item): void {
    if (this.#head > 0) this.#items[--this.#head] = item;
    else this.#items.unshift(item);
    this.#size++;
  }

  /** The head, left in place. */
  peek(): Item | undefined {
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head];
      if (item !== undefined && !item.removed) return item;
      this.#items[this.#head++] = undefined;
    }
    return undefined;
  }

  shift(): Item | undefined {
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head];
      this.#items[this.#head++] = undefined;
      if (item !== undefined && !item.removed) {
        this.#size--;
        this.#compact();
        return item;
      }
    }
    this.#compact();
    return undefined;
  }

  /** Marks `item` removed; it is skipped when it reaches the head. */
  remove(item: Item): void {
    if (item.removed) return;
    item.removed = true;
    this.#size--;
  }

  #compact(): void {
    // Drop the consumed prefix once it dominates, so memory follows the live size.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
