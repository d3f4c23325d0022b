/**
 * The pool's bounded queue: tasks that wait for a place in a worker (`queued`, at most
 * `maxQueue`), and behind them the callers that wait for room in the queue (`onFull: 'wait'`).
 * Both keep submission order; either can lose a task to its cancellation at any time.
 *
 * @module
 */
import { Fifo } from './internal/fifo.js';
import { type TaskRecord, WaitingCall } from './task-record.js';

export class AdmissionQueue {
  readonly #maxQueue: number;
  readonly #queued = new Fifo<TaskRecord>();
  /** Callers waiting for room: records, or calls that gave no option (see `WaitingCall`). */
  readonly #waiting = new Fifo<TaskRecord | WaitingCall>();
  /** Makes the record of a call let into the queue. */
  readonly #recordOf: (call: WaitingCall) => TaskRecord;

  constructor(maxQueue: number, recordOf: (call: WaitingCall) => TaskRecord) {
    this.#maxQueue = maxQueue;
    this.#recordOf = recordOf;
  }

  /** Tasks queued plus callers waiting for room. */
  get size(): number {
    return this.#queued.size + this.#waiting.size;
  }

  /**
   * No room for a new task: callers wait already, or the queue holds `maxQueue` tasks beyond
   * the tasks of `name` the workers can take at the next dispatch (`workerRoom(name)`, asked
   * only then).
   */
  isFull(workerRoom: (name: string) => number, name: string): boolean {
    if (this.#waiting.size > 0) return true;
    const queued = this.#queued.size;
    return queued >= this.#maxQueue && queued >= this.#maxQueue + workerRoom(name);
  }

  /** Queued tasks (callers waiting for room not counted). */
  get queued(): number {
    return this.#queued.size;
  }

  /**
   * The next task for a worker, left in place: the queue's head, or with the queue empty the
   * first caller waiting for room (a worker's room is room too).
   */
  peek(): TaskRecord | undefined {
    return this.#queued.peek() ?? this.#letInOne();
  }

  /** Queues `record`, or puts its caller in line for room when the queue is full. */
  push(record: TaskRecord, full: boolean): void {
    record.where = full ? 'waiting' : 'queued';
    (full ? this.#waiting : this.#queued).push(record);
  }

  /** Puts a caller that gave no option in line for room (the queue is full). */
  wait(call: WaitingCall): void {
    this.#waiting.push(call);
  }

  /** Puts `record` back at the head (a task to run again after its worker died). */
  unshift(record: TaskRecord): void {
    record.removed = false;
    record.where = 'queued';
    this.#queued.unshift(record);
  }

  /** The next task for a worker, if any (as {@link peek}). */
  shift(): TaskRecord | undefined {
    return this.#queued.shift() ?? this.#nextWaiter();
  }

  /** The first caller waiting, let into the (empty) queue: a worker has room for it. */
  #letInOne(): TaskRecord | undefined {
    const record = this.#nextWaiter();
    if (record !== undefined) this.#queued.push(record);
    return record;
  }

  /** The first caller waiting, out of the line, as a record. */
  #nextWaiter(): TaskRecord | undefined {
    const waiter = this.#waiting.shift();
    return waiter === undefined ? undefined : this.#asRecord(waiter);
  }

  #asRecord(waiter: TaskRecord | WaitingCall): TaskRecord {
    const record = waiter instanceof WaitingCall ? this.#recordOf(waiter) : waiter;
    record.where = 'queued';
    return record;
  }

  /** Lets waiting callers into the queue while it has room (counting `workerRoom`, as `isFull`). */
  admit(workerRoom: (name: string) => number, name: string): void {
    if (this.#waiting.size === 0) return;
    const limit = this.#maxQueue + workerRoom(name);
    while (this.#waiting.size > 0 && this.#queued.size < limit) {
      const record = this.#nextWaiter();
      if (record === undefined) break;
      this.#queued.push(record);
    }
  }

  /** Takes `record` out, wherever it waits. */
  remove(record: TaskRecord): void {
    (record.where === 'waiting' ? this.#waiting : this.#queued).remove(record);
  }

  /** Empties both lines, in order, callers waiting for room last (as records). */
  *drain(): Generator<TaskRecord> {
    for (let record = this.shift(); record !== undefined; record = this.shift()) yield record;
  }
}
