/**
 * The pool's bounded queue: tasks that wait for a place in a worker (`queued`, at most
 * `maxQueue`), and behind them the callers that wait for room in the queue (`onFull: 'wait'`).
 * Both keep submission order; either can lose a task to its cancellation at any time.
 *
 * @module
 */
import { Fifo } from './internal/fifo.js';
import type { TaskRecord } from './task-record.js';
import { WaitingCalls } from './waiting-calls.js';

/** Makes the record of a call that gave no option, as it is let into the queue. */
export type RecordOf = (
  name: string,
  input: unknown,
  mode: number,
  resolve: (value: unknown) => void,
  submittedAt: number,
) => TaskRecord;

export class AdmissionQueue {
  readonly #maxQueue: number;
  readonly #queued = new Fifo<TaskRecord>();
  /** Callers waiting for room: records, or rows of calls that gave no option (see `WaitingCalls`). */
  readonly #waiting = new Fifo<TaskRecord | WaitingCalls>();
  /** Callers in `#waiting` (a row counts each of its calls). */
  #waitingSize = 0;
  /** The last row in `#waiting`, while nothing stands behind it: the next such call joins it. */
  #lastRow: WaitingCalls | undefined;
  readonly #recordOf: RecordOf;

  constructor(maxQueue: number, recordOf: RecordOf) {
    this.#maxQueue = maxQueue;
    this.#recordOf = recordOf;
  }

  /** Tasks queued plus callers waiting for room. */
  get size(): number {
    return this.#queued.size + this.#waitingSize;
  }

  /**
   * No room for a new task: callers wait already, or the queue holds `maxQueue` tasks beyond
   * the tasks of `name` the workers can take at the next dispatch (`workerRoom(name)`, asked
   * only then).
   */
  isFull(workerRoom: (name: string) => number, name: string): boolean {
    if (this.#waitingSize > 0) return true;
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
    if (full) {
      record.where = 'waiting';
      this.#waiting.push(record);
      this.#waitingSize++;
      this.#lastRow = undefined;
    } else {
      record.where = 'queued';
      this.#queued.push(record);
    }
  }

  /** Puts a caller that gave no option in line for room (the queue is full). */
  wait(
    name: string,
    input: unknown,
    mode: number,
    resolve: (value: unknown) => void,
    submittedAt: number,
  ): void {
    let row = this.#lastRow;
    if (row === undefined || row.mode !== mode || !row.add(name, input, resolve, submittedAt)) {
      row = new WaitingCalls(name, mode);
      row.add(name, input, resolve, submittedAt);
      this.#waiting.push(row);
      this.#lastRow = row;
    }
    this.#waitingSize++;
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
    const waiter = this.#waiting.peek();
    if (waiter === undefined) return undefined;
    this.#waitingSize--;
    let record: TaskRecord;
    if (waiter instanceof WaitingCalls) {
      record = waiter.take(this.#recordOf);
      if (waiter.size === 0) {
        this.#waiting.shift();
        if (this.#lastRow === waiter) this.#lastRow = undefined;
      }
    } else {
      record = waiter;
      this.#waiting.shift();
    }
    record.where = 'queued';
    return record;
  }

  /** Lets waiting callers into the queue while it has room (counting `workerRoom`, as `isFull`). */
  admit(workerRoom: (name: string) => number, name: string): void {
    if (this.#waitingSize === 0) return;
    const limit = this.#maxQueue + workerRoom(name);
    while (this.#waitingSize > 0 && this.#queued.size < limit) {
      const record = this.#nextWaiter();
      if (record === undefined) break;
      this.#queued.push(record);
    }
  }

  /** Takes `record` out, wherever it waits. */
  remove(record: TaskRecord): void {
    if (record.where !== 'waiting') this.#queued.remove(record);
    else if (!record.removed) {
      this.#waiting.remove(record);
      this.#waitingSize--;
    }
  }

  /** Empties both lines, in order, callers waiting for room last (as records). */
  *drain(): Generator<TaskRecord> {
    for (let record = this.shift(); record !== undefined; record = this.shift()) yield record;
  }
}
