/**
 * What a task's failure means when its worker is gone (it exited, was terminated, ran out of
 * memory) or never got the task: run it again, or reject it with which error. Who is to blame
 * is read off the task's state in the shared table at that moment.
 *
 * @module
 */
import {
  type PoolBrokenError,
  PoolDestroyedError,
  UncloneableInputError,
  WorkerCrashedError,
} from './errors.js';
import { SlotState } from './protocol.js';
import { inspectValue } from './transfer.js';

/** How often a task that did not cause its worker's death may be handed to a new one. */
export const MAX_REDISPATCH = 3;

/** What the pool knew of the task and of itself when the failure arrived. */
export interface LostTask {
  name: string;
  /** What it was to send: where postMessage refused, the walk names the path in it. */
  input: unknown;
  state: number;
  redispatches: number;
  /** Its input was moved into the worker (`transfer: true`): it went down with it. */
  transferred: boolean;
  exitCode: number | undefined;
  /** Another task of its worker was running (or ended it) when it died: the culprit is known. */
  culpritFound: boolean;
  /**
   * Its worker was ended for another task known to be at fault: the pool ended it for one that
   * ignored its cancellation past `grace`, or one called `process.exit()` (it is marked
   * `crashed`). This one, running then, was interrupted, not to blame.
   */
  interrupted: boolean;
  broken: PoolBrokenError | undefined;
  destroyed: boolean;
}

/** `'again'`, or the error to reject with (`crash` says it counts as a crash in the stats). */
export type Verdict = 'again' | { error: Error; crash: boolean };

export function verdictOnLostWorker(task: LostTask, failure: unknown): Verdict {
  const { name, state } = task;
  if (task.broken !== undefined) return { error: task.broken, crash: false };
  if (task.destroyed) return { error: new PoolDestroyedError(name), crash: false };
  if (failure instanceof PostFailure) {
    return { error: refusedInput(name, task.input, failure.error), crash: false };
  }
  // Not started, finished with its answer lost, or interrupted: another task ended the worker
  // (a task that ends its own worker is marked `crashed`; one still running is cleared only
  // when another is known to be at fault). One that never started cannot have caused it,
  // however often it is caught in a crash (a message carries many tasks), nor can one that
  // finished when the culprit is known; one that finished in a worker that died of nothing
  // known might have (something it left behind), so it is run again a few times only.
  const innocent =
    state === SlotState.pending ||
    state === SlotState.done ||
    (task.interrupted && state === SlotState.running);
  const again =
    state === SlotState.pending || task.culpritFound || task.redispatches < MAX_REDISPATCH;
  if (innocent && again && !task.transferred) return 'again';
  const ran = state === SlotState.running || state === SlotState.crashed;
  const cause =
    innocent && task.transferred
      ? new Error('its transferred input was lost with the worker', { cause: failure })
      : failure;
  return {
    error: new WorkerCrashedError(name, ran ? task.exitCode : undefined, { cause }),
    crash: true,
  };
}

/**
 * The task was never sent: its input holds something the check before `postMessage` did not
 * see (it checks large inputs only in part, and cannot see everything). A full walk now names
 * the path; when even it finds nothing, what `postMessage` said stands.
 */
function refusedInput(name: string, input: unknown, error: unknown): UncloneableInputError {
  const { problem } = inspectValue(input, false);
  if (problem !== undefined) return new UncloneableInputError(name, problem.path, problem.kind);
  const refused = `value postMessage refused (${messageOf(error)})`;
  return new UncloneableInputError(name, 'input', refused);
}

/**
 * What `postMessage` threw for a message of tasks it could not send (so the worker never got
 * it): a DataCloneError, or anything an input's own code threw while it was cloned.
 */
export class PostFailure {
  constructor(readonly error: unknown) {}
}

/** `error`'s message, read defensively (it may come from hostile input). */
function messageOf(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'an error that could not be read';
  }
}
