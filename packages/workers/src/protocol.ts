/**
 * The wire between the loop and a worker. Piscina starts, replaces and ends the workers; the
 * tasks travel on a port of Tandem's own per worker, in messages of one or more tasks
 * (`run()` calls issued together are coalesced, whatever their names), and come back on it
 * with their progress, start reports and early outcomes, in the order the worker posted them. Piscina's
 * own message per task costs about twice a bare `postMessage` round trip (its envelope, a
 * futex wake, its bookkeeping), and its results would travel apart from progress. A shared
 * `Int32Array` holds each in-flight task's state, so that a worker can claim a task and see
 * its cancellation without a message (a busy synchronous loop never reads messages), and so
 * that an idle worker's loop can take back a task still waiting inside a busy one.
 *
 * @module
 */
import type { SerializedError } from './codec.js';

/**
 * A message to a worker: `[name, slot, input]` for one task, `[name, slots, …inputs]` for
 * several of one name (`slots` an `Int32Array`: one copy for all of them), and
 * `[names, slots, …inputs]` for several of different names: `names` lists each name once, and
 * each task's index in it is in its slot (`Field.task`). A task's id and mode are in its slot
 * of the shared table too: every value in the message costs structured-clone time on both
 * sides. The slot of its first task names the message in its answer (`ToLoop.answered`).
 * `[name]` alone (through Piscina, at start) asks for the task names the module defines. A
 * message of tasks starts with a string or an array, a control message with a number.
 */
export type TaskMessage = unknown[];

/**
 * A worker's answer to a message of several tasks: `[failures, …values]`, the values in
 * message order; `failures` is null when every task returned, else
 * `[index, answer, error, …]` triples (see {@link Answer}; `error` a `SerializedError` or
 * undefined). A message of one task is answered with the value, or with an {@link Envelope}
 * as its failure.
 */
export type GroupAnswer = unknown[];

/** How a task of a group failed. */
export const Answer = { error: 1, skipped: 2, crashed: 3 } as const;

/** Bits of `mode`. */
export const Mode = {
  /** `input` is an array of items; the worker runs the task on each and returns a {@link BatchResult}. */
  batch: 1,
  /** The loop armed a `timeout`: the worker reports the moment the task starts. */
  reportStart: 2,
  /**
   * Set by the worker in the slot: the task returned a promise. Such a task travels alone from
   * then on (its neighbours' outcomes would have to go early, see `ToLoop.settled`).
   */
  async: 4,
} as const;

/**
 * A message of the name alone is not a task: the worker answers with the names its task
 * module defines.
 */
export const DESCRIBE: TaskMessage = [''];

/** What a batch returns: values in item order, and the items that threw. */
export interface BatchResult {
  values: unknown[];
  errors: [index: number, error: SerializedError][];
}

/**
 * Per-slot task state in the shared table. A worker claims a task with
 * `compareExchange(pending → running)`; the loop cancels one that has not started with
 * `compareExchange(pending → cancelled)`. Whoever wins decides, so a cancelled task never runs.
 */
export const SlotState = {
  free: 0,
  pending: 1,
  running: 2,
  cancelled: 3,
  timedOut: 4,
  /**
   * The task returned or threw, and its answer is on its way. If the worker dies before the
   * answer is posted (another task in the same worker crashed it), the task runs again.
   */
  done: 5,
  /** The task itself ended its worker (`process.exit()` from its code): it is never re-run. */
  crashed: 6,
  /**
   * Taken back by the loop before the worker claimed it (the worker was busy and another sat
   * idle): the worker skips it and the loop has sent it elsewhere.
   */
  stolen: 7,
} as const;

/**
 * The fields of a slot, in this order (see {@link Field}). The item index names the item of a
 * batch that took its worker down; the cost feeds the loop's estimate of the task's cost; the id and mode
 * are the task's own (written by the loop before the message is posted).
 */
export const Field = {
  state: 0,
  /** The threadId of the worker that claimed the task. */
  owner: 1,
  /** The item of a batch running now. */
  item: 2,
  /** µs the task's synchronous run took. */
  cost: 3,
  id: 4,
  /** {@link Mode} bits. */
  mode: 5,
  /** In a message of several names, the index of the task's name in the message's list. */
  task: 6,
  /**
   * µs from the task's claim to its outcome, async part included (written before the outcome
   * is posted): what its `timeout` is held to (see `WorkerPool.#overran`).
   */
  ran: 7,
} as const;
export const SLOT_WIDTH = 8;

/** Control messages, loop → worker: `[tag, slot, task id]`. */
export const ToWorker = { abort: 1 } as const;
/**
 * Messages, worker → loop: `[tag, slot, task id, value]`. `answered`: the answer to a message
 * of tasks, `[answered, slot of its first task, 1 | 0, answer or failure]`. `loaded`: the task
 * module is in (a worker that exits before it is a start-up failure), or, with a
 * SerializedError as its value, failed to load (the worker then serves no task). `stray`: an error no running task owns (a throw from a
 * timer, an unhandled rejection left by a task that already returned): the worker is retired.
 * `settled`: tasks of a message of several that some async task of it still holds in its
 * worker have settled: `[slot, id, ok, value or SerializedError, …]` in the value field. Each
 * caller hears at once instead of when the whole message is answered.
 */
export const ToLoop = {
  started: 1,
  progress: 2,
  loaded: 3,
  stray: 4,
  settled: 5,
  answered: 6,
} as const;

/** What a worker posts on `parentPort` once, to hand the loop its port. */
export const CONTROL_PORT_KEY = '__tandemControlPort';

/** Failures that come from Tandem's worker side carry this key (anything else is a lost worker). */
export const ENVELOPE_KEY = '__tandem';

/**
 * A failure thrown by the worker entry: the task's error; "skipped: cancelled before start";
 * or "crashed": the task's own code threw outside it (a timer) while it ran, which would have
 * killed the worker — the worker survives it, the task fails as crashed.
 */
export type Envelope =
  | { [ENVELOPE_KEY]: 'error'; error: SerializedError }
  | { [ENVELOPE_KEY]: 'crashed'; error: SerializedError }
  | { [ENVELOPE_KEY]: 'skipped' };

export function isEnvelope(value: unknown): value is Envelope {
  return typeof value === 'object' && value !== null && ENVELOPE_KEY in value;
}

/** What the pool gives each worker as `workerData`. */
export interface WorkerBootData {
  tasksUrl: string;
  states: SharedArrayBuffer;
}
