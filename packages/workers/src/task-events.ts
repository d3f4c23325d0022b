/**
 * What a pool tells its listeners (`pool.onSettled`) about each task as it settles: the raw
 * material of metrics (see `@tandem/prometheus`). Nothing is built when nobody listens.
 *
 * @module
 */
import { TaskTimeoutError, WorkerCrashedError } from './errors.js';

/**
 * How a task ended:
 * - `ok`: it returned;
 * - `error`: it threw (or the pool was destroyed or broke before it ran);
 * - `cancelled`: its `signal` aborted (or its `onProgress` threw);
 * - `timeout`: its `timeout` or `deadline` ran out;
 * - `crashed`: its worker died under it (`WorkerCrashedError`).
 */
export type TaskOutcome = 'ok' | 'error' | 'cancelled' | 'timeout' | 'crashed';

/** One settled task (a `map` batch counts as one task of its name). */
export interface TaskSettledEvent {
  /** The task's name. */
  readonly task: string;
  readonly outcome: TaskOutcome;
  /** Ms from `run()` to its hand-over to a worker (to its cancel, if it never got one). */
  readonly waitMs: number;
  /** Ms from its (last) hand-over to a worker to its end there; 0 if it never got one. */
  readonly runMs: number;
  /**
   * Ms its worker kept running it after it was cancelled or timed out while running: work
   * whose caller had already gone (until the task saw `ctx.signal`, or the worker was ended
   * after `grace`). 0 for every other task.
   */
  readonly orphanMs: number;
}

/**
 * Called once per task, synchronously, as it settles: keep it cheap (count, do not format).
 * A throw is reported as an uncaught exception on the next tick, as `node:diagnostics_channel`
 * does with its subscribers; the pool and the other listeners go on.
 */
export type TaskSettledListener = (event: TaskSettledEvent) => void;

/** The outcome of a task that settled with `ok`/`value`, cancelled with `reason` if it was. */
export function outcomeOf(ok: boolean, value: unknown, reason: unknown): TaskOutcome {
  if (ok) return 'ok';
  if (reason !== undefined) return reason instanceof TaskTimeoutError ? 'timeout' : 'cancelled';
  return value instanceof WorkerCrashedError ? 'crashed' : 'error';
}

/** Calls each listener with `event`; a throw goes to the next tick, the others still run. */
export function notifyListeners(
  listeners: readonly TaskSettledListener[],
  event: TaskSettledEvent,
): void {
  for (const listener of listeners) {
    try {
      listener(event);
    } catch (error) {
      process.nextTick(() => {
        throw error;
      });
    }
  }
}
