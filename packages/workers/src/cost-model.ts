/**
 * What a task costs, learned as the pool runs. Each worker writes into the shared table how
 * long the synchronous part of every task took; the loop keeps a moving average per task name
 * and sizes its messages with it: tiny tasks travel hundreds to a message, long ones alone, and
 * a worker holds about {@link HELD_MS} of work so it never idles between messages without
 * hoarding tasks another worker could run. The first answer of a task name replaces the
 * guess, so a fresh pool is warm after its first few tasks.
 *
 * Only the synchronous part of an async task is timed: the time it spends waiting costs its
 * worker nothing, and its neighbours run meanwhile.
 *
 * @module
 */

/** Estimated work, in ms, one message carries at most (`'auto'`). */
export const GROUP_MS = 1;
/** Estimated work, in ms, a worker holds at once (`'auto'`); it always holds two tasks if it can. */
export const HELD_MS = 2;
/** Tasks in one message at most. */
export const MAX_GROUP = 256;
/** Tasks one worker holds at most under `'auto'` (each holds a slot of the shared table). */
export const MAX_AUTO_HELD = 512;
/**
 * Ms a task must have waited unclaimed in its worker before an idle worker takes it back (a
 * younger one is likely still in transit).
 */
export const STEAL_AFTER_MS = 1;
/** The cost assumed for a task name until one of its tasks has finished. */
export const UNKNOWN_COST_MS = 1;
/**
 * The least a task is taken to cost: the messaging around a task (copy in, copy out) is not in
 * the worker's timing, and a no-op would otherwise look free.
 */
export const MIN_COST_MS = 0.002;
/**
 * Weight of the newest sample in the moving average: a cheaper sample counts more than a
 * dearer one, so one long task (or a GC pause) does not make a name look long for hundreds
 * of tasks, while a name that really got dearer still gets there in a few dozen.
 */
const SMOOTHING_DOWN = 0.5;
const SMOOTHING_UP = 0.1;

export class CostModel {
  readonly #ms = new Map<string, number>();
  readonly #async = new Set<string>();

  /** A task of `name` returned a promise: its tasks travel one per message from now on. */
  markAsync(name: string): void {
    this.#async.add(name);
  }

  isAsync(name: string): boolean {
    return this.#async.has(name);
  }

  /** Estimated ms one task (one item of a batch) of `name` takes. */
  estimate(name: string): number {
    return this.#ms.get(name) ?? UNKNOWN_COST_MS;
  }

  /** Ms that `items` tasks of `name` took in all (a batch of items counts as `items`). */
  observe(name: string, totalMs: number, items: number): void {
    if (items <= 0) return;
    const sample = Math.max(totalMs / items, MIN_COST_MS);
    const known = this.#ms.get(name);
    if (known === undefined) {
      this.#ms.set(name, sample);
      return;
    }
    const weight = sample < known ? SMOOTHING_DOWN : SMOOTHING_UP;
    this.#ms.set(name, known + weight * (sample - known));
  }
}
