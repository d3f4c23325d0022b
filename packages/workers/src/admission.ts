/**
 * The pool's bounded queue: tasks that wait for a place in a worker (`queued`, at most
 * `maxQueue`), and behind them the callers that wait for room in the queue (`onFull: 'wait'`).
 * Both keep submission order; either can lose a task to its cancellation at any time.
 *
 * @module
 */
import { Fifo } from './internal/fifo.js';
import type { TaskRecord } from './task-record.js';

export class AdmissionQueue {
  readonly #maxQueue: number;
  readonly #queued = new Fifo<TaskRecord>();
  readonly #waiting = new Fifo<TaskRecord>();

  constructor(maxQueue: number) {
    this.#maxQueue = maxQueue;
  }

  /** Tasks queued plus callers waiting for room. */
  get size(): number {
    return this.#queued.size + this.#waiting.size;
  }

  /**
   * No room for a new task: callers wait already, or the queue is at `maxQueue` and it could
   * not go straight to a worker (`workerHasRoom`).
   */
  isFull(workerHasRoom: boolean): boolean {
    if (this.#waiting.size > 0) return true;
    const direct = workerHasRoom && this.#queued.size === 0;
    return !direct && this.#queued.size >= this.#maxQueue;
  }

  /** True when `record` may go to a worker now, without overtaking anyone. */
  canBypass(workerHasRoom: boolean): boolean {
    return workerHasRoom && this.#queued.size === 0 && this.#waiting.size === 0;
  }

  /** Queues `record`, or puts its caller in line for room when the queue is full. */
  push(record: TaskRecord, full: boolean): void {
    record.where = full ? 'waiting' : 'queued';
    (full ? this.#waiting : this.#queued).push(record);
  }

  /** Puts `record` back at the head (a task to run again after its worker died). */
  unshift(record: TaskRecord): void {
    record.removed = false;
    record.where = 'queued';
    this.#queued.unshift(record);
  }

  /** The next task for a worker, if any. */
  shift(): TaskRecord | undefined {
    return this.#queued.shift();
  }

  /** Lets waiting callers into the queue while it has room (or a worker can take one now). */
  admit(workerHasRoom: boolean): void {
    while (
      this.#waiting.size > 0 &&
      (this.#queued.size < this.#maxQueue || (workerHasRoom && this.#queued.size === 0))
    ) {
      const waiter = this.#waiting.shift();
      if (waiter === undefined) break;
      waiter.where = 'queued';
      this.#queued.push(waiter);
    }
  }

  /** Takes `record` out, wherever it waits. */
  remove(record: TaskRecord): void {
    (record.where === 'waiting' ? this.#waiting : this.#queued).remove(record);
  }

  /** Empties both lines, in order, callers waiting for room last. */
  *drain(): Generator<TaskRecord> {
    for (const fifo of [this.#queued, this.#waiting]) {
      for (let record = fifo.shift(); record !== undefined; record = fifo.shift()) yield record;
    }
  }
}
