// One pool for the value properties of a child (starting one loads tsx in each worker: a
// second), and the checks every case ends with: the pool returns to idle, no worker died
// unless the case meant it to, nothing went off in the process, and an innocent task still
// runs. A case that leaves the pool unwell fails, and the next case gets a fresh pool.
import { type TasksOf, WorkerPool } from '@tandem/workers';
import type fuzzTasks from '../fixtures/fuzz-tasks.ts';
import { eventually, settleWithin, turns } from './bound.ts';
import { takeStrays } from './guard.ts';
import { show, Verdict } from './judge.ts';

export type FuzzTasks = TasksOf<typeof fuzzTasks>;
export type FuzzPool = WorkerPool<FuzzTasks>;

const tasks = new URL('../fixtures/fuzz-tasks.ts', import.meta.url);
let current: Promise<FuzzPool> | undefined;

/** Two threads, a short grace: cases are small and some must end a stubborn task. */
export function sharedPool(): Promise<FuzzPool> {
  current ??= WorkerPool.start<FuzzTasks>({ tasks, threads: 2, grace: 200 });
  return current;
}

export async function destroySharedPool(): Promise<void> {
  const pool = current;
  current = undefined;
  await (await pool)?.destroy();
}

/** A fresh shared counter: cell `i` counts the runs of item `i`. */
export function counter(cells = 1): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * cells));
}

/** What a case expects of the pool's workers. */
export interface CaseEnd {
  /** The case ends a worker on purpose: wait for its replacement instead of forbidding it. */
  replacesWorker?: boolean;
}

/** Runs one case on the shared pool and judges the pool's state after it. */
export async function poolCase(
  body: (pool: FuzzPool, verdict: Verdict) => Promise<CaseEnd | undefined>,
): Promise<void> {
  const pool = await sharedPool();
  const verdict = new Verdict();
  const before = pool.stats();
  const end = await body(pool, verdict);
  const judged = verdict.problems.length;

  const idle = await eventually(() => {
    const s = pool.stats();
    return s.queued === 0 && s.running === 0 && s.inWorkers === 0;
  });
  verdict.expect(idle, () => {
    const { queued, running, inWorkers } = pool.stats();
    return `stats() did not return to idle: ${JSON.stringify({ queued, running, inWorkers })}`;
  });
  if (end?.replacesWorker) {
    await eventually(() => pool.stats().workersReplaced > before.workersReplaced, 2_000);
  } else {
    const after = pool.stats();
    verdict.expect(
      after.workersReplaced === before.workersReplaced && after.crashed === before.crashed,
      () =>
        `a worker died: workersReplaced ${before.workersReplaced} -> ${after.workersReplaced}, crashed ${before.crashed} -> ${after.crashed}`,
    );
  }
  const canary = await settleWithin(
    pool.run('countedEcho', { counter: counter(), payload: 'canary' }),
  );
  verdict.expect(
    canary.status === 'fulfilled' && canary.value === 'canary',
    () => `after the case an innocent task ${show(canary)}`,
  );
  await turns();
  for (const stray of takeStrays())
    verdict.fail(`in the process (this case or just before): ${stray}`);
  // Only a pool left unwell is replaced (a start takes a second; shrinking runs many cases).
  // One that hangs may hang its destroy() too: do not wait for it past the bound.
  if (verdict.problems.length > judged) await settleWithin(destroySharedPool());
  verdict.done();
}
