/**
 * A producer's `stats()` as a full `PoolStats`, so that `engine.stats()`, dashboards and the
 * Prometheus collector read a remote backend as they read a local pool.
 *
 * @module
 */
import type { PoolStats } from '@tandem/workers';
import type { Admission } from './admission.js';
import type { PendingJobs } from './pending.js';

export interface StatsSources {
  jobs: PendingJobs;
  admission: Admission;
  /** Threads of the live workers (0 with none). */
  threads: number;
  /** Jobs added so far. */
  added: number;
  startTimeout: number;
  /** Ms since the producer started. */
  uptime: number;
}

/**
 * `queued`: this producer's jobs no worker has started yet, and callers waiting for room;
 * `inWorkers` = `running`: its started ones; `threads` = `size`: the live workers' threads;
 * `waitTime`: submit → start; `runTime`: start → end, as seen here; `messages`: jobs added;
 * `utilization`: run time over the workers' thread time since start. Fields about local
 * threads (`depth`, `concurrentTasksPerWorker`, `grace`, `workersBusy`, `workersReplaced`,
 * `strayErrors`, `stolen`) are 0.
 */
export function remoteStats(s: StatsSources): PoolStats {
  let queued = s.admission.waiting;
  let running = 0;
  for (const entry of s.jobs.all()) {
    if (entry.activeAt > 0) running++;
    else queued++;
  }
  const c = s.jobs.counters;
  return {
    threads: s.threads,
    size: s.threads,
    concurrentTasksPerWorker: 0,
    depth: 0,
    maxQueue: s.admission.maxQueue,
    onFull: s.admission.onFull,
    grace: 0,
    queued,
    inWorkers: running,
    running,
    workersBusy: 0,
    completed: c.completed,
    failed: c.failed,
    cancelled: c.cancelled,
    crashed: c.crashed,
    workersReplaced: 0,
    strayErrors: 0,
    stolen: 0,
    messages: s.added,
    broken: false,
    startTimeout: s.startTimeout,
    waitTime: c.waitTime(),
    runTime: c.runTime(),
    utilization: s.uptime > 0 && s.threads > 0 ? Math.min(1, c.busyMs / (s.uptime * s.threads)) : 0,
  };
}
