/**
 * Counters and latency histograms of a pool, kept on the loop side.
 *
 * @module
 */
import { createHistogram, type Histogram, type RecordableHistogram } from 'node:perf_hooks';

/** Percentiles of a latency, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** A snapshot of a pool, as returned by `pool.stats()` and inside `engine.stats()`. */
export interface PoolStats {
  /** Worker threads alive now, and the configured size. */
  threads: number;
  size: number;
  /** The setting: tasks each worker may hold at once, or `'auto'`. */
  concurrentTasksPerWorker: number | 'auto';
  /**
   * Tasks an idle worker would hold now, for the task name dispatched last (under `'auto'` it
   * follows that task's measured cost).
   */
  depth: number;
  maxQueue: number;
  onFull: 'wait' | 'reject';
  /** Grace, in ms, between asking a running task to stop and terminating its worker. */
  grace: number;
  /** Submitted, not yet handed to a worker (including callers waiting for room). */
  queued: number;
  /** Handed to a worker and not settled (running, or next in that worker's line). */
  inWorkers: number;
  /** Of those, the ones a worker has started. */
  running: number;
  /** Workers holding at least one task (running it, or about to). */
  workersBusy: number;
  completed: number;
  failed: number;
  cancelled: number;
  /** Tasks that lost their worker to a crash (each also counts as failed). */
  crashed: number;
  /** Workers that ended before the pool did (crash, out of memory, or terminated after `grace`). */
  workersReplaced: number;
  /**
   * Errors thrown in a worker that no running task owned (a timer's throw or an unhandled
   * rejection left behind by a task that had returned). Each retires its worker; none fails a
   * task. Published on the `tandem:stray-error` diagnostics channel.
   */
  strayErrors: number;
  /**
   * Tasks an idle worker took back from a busy one before it started them (they waited
   * behind a longer task).
   */
  stolen: number;
  /** Messages sent to workers (tasks issued together travel in one). */
  messages: number;
  /** Set once the pool is broken (`ERR_TANDEM_POOL_BROKEN`): no task can run any more. */
  broken: boolean;
  /** Ms that start-up may take. */
  startTimeout: number;
  /** Time from submit to hand-over to a worker. */
  waitTime: LatencySummary;
  /** Time from hand-over to result. */
  runTime: LatencySummary;
  /** Share of the pool's thread-time spent on tasks since start, 0..1. */
  utilization: number;
}

/** Mutable counters the pool updates on its hot path. */
export class StatsRecorder {
  completed = 0;
  failed = 0;
  cancelled = 0;
  crashed = 0;
  workersReplaced = 0;
  strayErrors = 0;
  stolen = 0;
  messages = 0;
  busyMs = 0;
  readonly startedAt = performance.now();
  readonly #wait: RecordableHistogram = createHistogram();
  readonly #run: RecordableHistogram = createHistogram();

  recordWait(ms: number): void {
    // Histograms take positive integers: record microseconds.
    this.#wait.record(Math.max(1, Math.round(ms * 1000)));
  }

  recordRun(ms: number): void {
    this.busyMs += ms;
    this.#run.record(Math.max(1, Math.round(ms * 1000)));
  }

  utilization(threads: number): number {
    const elapsed = performance.now() - this.startedAt;
    return elapsed > 0 ? Math.min(1, this.busyMs / (elapsed * threads)) : 0;
  }

  waitTime(): LatencySummary {
    return summarize(this.#wait);
  }

  runTime(): LatencySummary {
    return summarize(this.#run);
  }
}

/** Milliseconds from a histogram of microseconds. */
export function summarize(histogram: Histogram, unitMs = 0.001): LatencySummary {
  const count = histogram.count;
  if (count === 0) return { count, p50: 0, p99: 0, max: 0, mean: 0 };
  return {
    count,
    p50: histogram.percentile(50) * unitMs,
    p99: histogram.percentile(99) * unitMs,
    max: histogram.max * unitMs,
    mean: histogram.mean * unitMs,
  };
}
