/**
 * Callers waiting in a row for room in a full queue, none of which gave an option: the common
 * case of a burst, `Promise.all(items.map((x) => pool.run('f', x)))`.
 *
 * They are kept as columns (inputs, settlers, times; names only once a second name joins),
 * not as an object per call. The young generation's collector copies every live object it
 * meets, and a burst's waiting callers are all live until they are let in. Issuing a
 * 100,000-call burst took 117 ms, 92 of them collecting, with an object per call; 68 ms, 50
 * collecting, with columns (one engine, one thread, medians of 9 rounds). Only `resolve` is
 * kept: a reject function kept alive costs about as much again, so a call that waited fails
 * by resolving with a `Rejection` (one microtask later).
 *
 * @module
 */

/**
 * The most calls one row holds: past it, a new row starts, so a line that never empties is
 * dropped row by row instead of growing one array without end.
 */
const ROW_LENGTH = 8_192;

export class WaitingCalls {
  /** Never set: a call with no signal or deadline cannot leave the line early (see `Fifo`). */
  readonly removed = false;
  readonly #inputs: unknown[] = [];
  readonly #settlers: (((value: unknown) => void) | undefined)[] = [];
  readonly #submittedAt: number[] = [];
  /** Each call's task name, from the first call of a name other than `#name` on. */
  #names: string[] | undefined;
  /** Index of the next call to let in. */
  #next = 0;

  /** The task name of every call, until `#names` is made. */
  readonly #name: string;

  constructor(
    name: string,
    readonly mode: number,
  ) {
    this.#name = name;
  }

  /** False when the row is full: start another. */
  add(
    name: string,
    input: unknown,
    resolve: (value: unknown) => void,
    submittedAt: number,
  ): boolean {
    if (this.#inputs.length === ROW_LENGTH) return false;
    if (this.#names !== undefined) this.#names.push(name);
    else if (name !== this.#name) {
      this.#names = Array.from(this.#inputs, () => this.#name);
      this.#names.push(name);
    }
    this.#inputs.push(input);
    this.#settlers.push(resolve);
    this.#submittedAt.push(submittedAt);
    return true;
  }

  /** Calls not yet let in. */
  get size(): number {
    return this.#inputs.length - this.#next;
  }

  /**
   * Lets the next call in: `make` turns what it gave into a record. The row lets go of it, so
   * its input can be collected once its task is done.
   */
  take<T>(
    make: (
      name: string,
      input: unknown,
      mode: number,
      resolve: (value: unknown) => void,
      submittedAt: number,
    ) => T,
  ): T {
    const i = this.#next++;
    const made = make(
      this.#names === undefined ? this.#name : this.#names[i]!,
      this.#inputs[i],
      this.mode,
      this.#settlers[i]!,
      this.#submittedAt[i]!,
    );
    this.#inputs[i] = undefined;
    this.#settlers[i] = undefined;
    return made;
  }
}
