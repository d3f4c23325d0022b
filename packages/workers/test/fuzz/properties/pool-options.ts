// Arbitrary options for `WorkerPool.start` and `close`: invalid options are refused with a
// validation code and leave no thread behind; valid ones start a pool that shows them in
// stats() and runs a task; close with a long or Infinity timeout lets a running task finish;
// invalid close options change nothing (the pool still runs and closes later).
import { defaultThreads, WorkerPool } from '@tandem/workers';
import fc from 'fast-check';
import { attempt, settleWithin, turns } from '../support/bound.ts';
import { type Closable, closeCase, judgeClose } from '../support/close-options.ts';
import { takeStrays } from '../support/guard.ts';
import { Verdict } from '../support/judge.ts';
import { judgeThreadsBack, osThreads } from '../support/os-threads.ts';
import { plainTasks } from '../support/plain-tasks.ts';
import type { FuzzProperty } from '../support/property.ts';
import {
  buildStart,
  expectedStats,
  judgeStart,
  poolStartCase,
  startProblems,
} from '../support/start-options.ts';

const start: FuzzProperty = {
  name: 'WorkerPool.start/close options: invalid refused leaving no thread, valid honoured, close keeps its word',
  runs: 8,
  property: fc.asyncProperty(poolStartCase, closeCase, async (c, close) => {
    const verdict = new Verdict();
    const baseline = osThreads();
    const problems = startProblems(c);
    const outcome = await attempt(() => WorkerPool.start(buildStart(c, plainTasks) as never));
    const started = judgeStart(verdict, c, problems, outcome);
    if (started) {
      const pool = (outcome as { value: WorkerPool }).value;
      try {
        const want = expectedStats(c, defaultThreads());
        const stats = pool.stats();
        const shown = {
          size: stats.size,
          concurrentTasksPerWorker: stats.concurrentTasksPerWorker,
          maxQueue: stats.maxQueue,
          onFull: stats.onFull,
          grace: stats.grace,
        };
        verdict.expect(
          JSON.stringify(shown) === JSON.stringify(want),
          () => `stats() shows ${JSON.stringify(shown)}, the options were ${JSON.stringify(want)}`,
        );
        if (problems.length === 0) await judgeClose(verdict, pool as unknown as Closable, close);
      } finally {
        await settleWithin(pool.destroy());
      }
    }
    await judgeThreadsBack(verdict, baseline, started ? 'after destroy()' : 'after a failed start');
    await turns();
    for (const stray of takeStrays()) verdict.fail(`in the process: ${stray}`);
    verdict.done();
  }),
};

export const properties = [start];
