/**
 * The per-task tallies the `onSettled` listener keeps: plain typed arrays indexed by task, so
 * that a settling task costs a map lookup and a few increments. prom-client's own
 * `inc()`/`observe()` hash a label object on every call; here labels are built at scrape time
 * only (`bench/src/scenarios/metrics-overhead.ts` measures both).
 *
 * @module
 */
import type { TaskOutcome, TaskSettledEvent } from '@tandem/core';

/** Every outcome, in the order of the tally's columns. */
export const OUTCOMES: readonly TaskOutcome[] = ['ok', 'error', 'cancelled', 'timeout', 'crashed'];

const OUTCOME_COLUMN: Readonly<Record<TaskOutcome, number>> = {
  ok: 0,
  error: 1,
  cancelled: 2,
  timeout: 3,
  crashed: 4,
};

/** Counts of observations per task and bucket (not cumulative), and their sums. */
export class BucketTally {
  /** Upper bounds, in ms (the listener's unit: no division per task). */
  readonly #boundsMs: Float64Array;
  /** `tasks × (bounds + 1)` counts; the last column of each task is `+Inf`. */
  readonly counts: Float64Array;
  /** Sum of the observations per task, in ms. */
  readonly sumMs: Float64Array;
  readonly width: number;

  constructor(tasks: number, boundsSeconds: readonly number[]) {
    this.#boundsMs = Float64Array.from(boundsSeconds, (s) => s * 1000);
    this.width = boundsSeconds.length + 1;
    this.counts = new Float64Array(tasks * this.width);
    this.sumMs = new Float64Array(tasks);
  }

  observe(task: number, ms: number): void {
    const bounds = this.#boundsMs;
    let bucket = 0;
    // Linear: most tasks land in the first few buckets, and there are at most 64.
    while (bucket < bounds.length && ms > (bounds[bucket] as number)) bucket++;
    const at = task * this.width + bucket;
    // (`as number`: the index is in range by construction; noUncheckedIndexedAccess cannot see it.)
    this.counts[at] = (this.counts[at] as number) + 1;
    this.sumMs[task] = (this.sumMs[task] as number) + ms;
  }
}

/**
 * Everything counted per task. `record` is the `onSettled` listener: an event of a task name
 * the module does not define (none should come) is not counted, so the `task` label takes
 * the module's names only.
 */
export class TaskTally {
  readonly tasks: readonly string[];
  readonly #index: Map<string, number>;
  /** `tasks × OUTCOMES.length` counts. */
  readonly outcomes: Float64Array;
  /** Run time of tasks that reached a worker (`runMs > 0`). */
  readonly run: BucketTally;
  /** Time from submit to hand-over (or to cancel, for a task that never got a worker). */
  readonly wait: BucketTally;
  /** Ms that workers kept running tasks whose caller had gone. */
  readonly orphanMs: Float64Array;

  constructor(tasks: readonly string[], boundsSeconds: readonly number[]) {
    this.tasks = tasks;
    this.#index = new Map(tasks.map((name, i) => [name, i]));
    this.outcomes = new Float64Array(tasks.length * OUTCOMES.length);
    this.run = new BucketTally(tasks.length, boundsSeconds);
    this.wait = new BucketTally(tasks.length, boundsSeconds);
    this.orphanMs = new Float64Array(tasks.length);
  }

  readonly record = (event: TaskSettledEvent): void => {
    const task = this.#index.get(event.task);
    if (task === undefined) return;
    const at = task * OUTCOMES.length + OUTCOME_COLUMN[event.outcome];
    this.outcomes[at] = (this.outcomes[at] as number) + 1;
    this.wait.observe(task, event.waitMs);
    if (event.runMs > 0) this.run.observe(task, event.runMs);
    if (event.orphanMs > 0) {
      this.orphanMs[task] = (this.orphanMs[task] as number) + event.orphanMs;
    }
  };
}
