/**
 * The shared table of in-flight task states (see `protocol.ts`): one slot per task that has been
 * handed to a worker, recycled when the worker has answered for it.
 *
 * @module
 */
import { Field, SLOT_WIDTH, SlotState } from './protocol.js';

export class SlotTable {
  readonly buffer: SharedArrayBuffer;
  readonly #cells: Int32Array;
  readonly #free: number[] = [];

  constructor(capacity: number) {
    this.buffer = new SharedArrayBuffer(capacity * SLOT_WIDTH * Int32Array.BYTES_PER_ELEMENT);
    this.#cells = new Int32Array(this.buffer);
    for (let slot = capacity - 1; slot >= 0; slot--) this.#free.push(slot);
  }

  /** Slots not in use. */
  get free(): number {
    return this.#free.length;
  }

  /**
   * Takes a free slot for task `id` in `mode` and marks it pending. `task`: the index of its
   * name in its message's list of names (a message of several names). Never past capacity.
   */
  acquire(id: number, mode: number, task: number): number {
    const slot = this.#free.pop()!;
    const index = slot * SLOT_WIDTH;
    const cells = this.#cells;
    // Plain writes: the worker reads them after the message that names the slot, and posting
    // a message orders them before it; the state goes last, atomically.
    cells[index + Field.owner] = 0;
    cells[index + Field.item] = 0;
    cells[index + Field.cost] = 0;
    cells[index + Field.ran] = 0;
    cells[index + Field.id] = id;
    cells[index + Field.mode] = mode;
    cells[index + Field.task] = task;
    Atomics.store(cells, index, SlotState.pending);
    return slot;
  }

  release(slot: number): void {
    Atomics.store(this.#cells, slot * SLOT_WIDTH, SlotState.free);
    this.#free.push(slot);
  }

  /**
   * Asks the task in `slot` to stop with `state` (cancelled or timed out). Returns true when
   * it had not started: the worker will skip it. False when it is running or past that.
   */
  cancel(slot: number, state: number): boolean {
    const index = slot * SLOT_WIDTH;
    const seen = Atomics.compareExchange(this.#cells, index, SlotState.pending, state);
    if (seen === SlotState.pending) return true;
    // Only a running task is asked to stop. One that finished keeps `done`, and one that ended
    // its worker keeps `crashed`: written over, that mark would blame its neighbours instead.
    if (seen === SlotState.running) Atomics.compareExchange(this.#cells, index, seen, state);
    return false;
  }

  /**
   * Takes the task in `slot` back from its worker if the worker has not claimed it yet (it
   * will skip it). True when taken.
   */
  steal(slot: number): boolean {
    const index = slot * SLOT_WIDTH;
    const state = Atomics.compareExchange(this.#cells, index, SlotState.pending, SlotState.stolen);
    return state === SlotState.pending;
  }

  /**
   * Claimed by its worker and not finished (a task cancelled or timed out while it runs goes
   * on until it lets go): its worker is busy with it.
   */
  isRunning(slot: number): boolean {
    const index = slot * SLOT_WIDTH;
    const state = Atomics.load(this.#cells, index);
    const busy =
      state === SlotState.running || state === SlotState.cancelled || state === SlotState.timedOut;
    return busy && Atomics.load(this.#cells, index + Field.owner) !== 0;
  }

  /** Still waiting inside its worker, unclaimed. */
  isPending(slot: number): boolean {
    return Atomics.load(this.#cells, slot * SLOT_WIDTH) === SlotState.pending;
  }

  /**
   * Ms the task in `slot` ran in its worker, from its claim to its outcome (0 until it has one;
   * a task that ended its worker has none).
   */
  ranMs(slot: number): number {
    return Atomics.load(this.#cells, slot * SLOT_WIDTH + Field.ran) / 1000;
  }

  /**
   * The task in `slot` has finished in its worker, within `ms` by the worker's clock (or so
   * lately that its run time is not written yet: its answer will tell).
   */
  finishedWithin(slot: number, ms: number): boolean {
    return (
      Atomics.load(this.#cells, slot * SLOT_WIDTH) === SlotState.done && this.ranMs(slot) <= ms
    );
  }

  /** Ms the synchronous part of the task in `slot` took in its worker (0 until it finished). */
  costMs(slot: number): number {
    return Atomics.load(this.#cells, slot * SLOT_WIDTH + Field.cost) / 1000;
  }

  /** How many slots hold a task that a worker has claimed and not finished. */
  countRunning(): number {
    let running = 0;
    for (let index = 0; index < this.#cells.length; index += SLOT_WIDTH) {
      const state = Atomics.load(this.#cells, index);
      // Claimed means an owner is set; a task cancelled before its claim never has one. A
      // claimed task that was cancelled or timed out runs until its worker lets go of it.
      const claimed = Atomics.load(this.#cells, index + Field.owner) !== 0;
      if (claimed && state !== SlotState.free && state !== SlotState.done) running++;
    }
    return running;
  }

  /**
   * What the tasks claimed by worker `threadId` say of its death: `'marked'` when one marked
   * itself as the one that ended it (it called `process.exit()`), `'running'` when some were
   * running (one of them, which one unknown), undefined when none was.
   */
  culpritIn(threadId: number): 'marked' | 'running' | undefined {
    let found: 'running' | undefined;
    for (let index = 0; index < this.#cells.length; index += SLOT_WIDTH) {
      if (Atomics.load(this.#cells, index + Field.owner) !== threadId) continue;
      const state = Atomics.load(this.#cells, index);
      if (state === SlotState.crashed) return 'marked';
      if (state === SlotState.running) found = 'running';
    }
    return found;
  }

  state(slot: number): number {
    return Atomics.load(this.#cells, slot * SLOT_WIDTH);
  }

  /** The threadId of the worker that claimed the task in `slot`. */
  owner(slot: number): number {
    return Atomics.load(this.#cells, slot * SLOT_WIDTH + Field.owner);
  }

  /** The item of a batch that the task in `slot` was running last. */
  item(slot: number): number {
    return Atomics.load(this.#cells, slot * SLOT_WIDTH + Field.item);
  }

  /** The task's mode bits, as the worker left them (`Mode.async` once it returned a promise). */
  mode(slot: number): number {
    return Atomics.load(this.#cells, slot * SLOT_WIDTH + Field.mode);
  }
}
