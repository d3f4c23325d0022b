import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type TasksOf, WorkerPool } from '@tandem/workers';
import type chaosTasks from './fixtures/chaos.ts';
import { fixture } from './gate.ts';

type ChaosTasks = TasksOf<typeof chaosTasks>;

// A deterministic pseudo-random sequence, so that a failure can be replayed.
function* lcg(seed: number): Generator<number> {
  for (let x = seed; ; ) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    yield x / 2 ** 31;
  }
}

test('chaos: 2,000 tasks, 2% crash their worker, 2% are aborted: all settle, the rest are right', async (t) => {
  const pool = await WorkerPool.start<ChaosTasks>({
    tasks: fixture('chaos'),
    threads: 2,
    grace: 50,
  });
  t.after(() => pool.destroy());
  const random = lcg(42);
  const total = 2000;
  const kinds = Array.from({ length: total }, () => {
    const r = random.next().value as number;
    return r < 0.02 ? 'crash' : r < 0.04 ? 'abort' : 'normal';
  });
  const calls = kinds.map((kind, n) => {
    const controller = new AbortController();
    const call = pool.run(
      'work',
      { n, crash: kind === 'crash', waitForAbort: kind === 'abort' },
      { signal: controller.signal },
    );
    // Abort some at once (still queued) and the rest a few turns later (likely running).
    if (kind === 'abort') {
      if (n % 2 === 0) controller.abort(new Error(`abort ${n}`));
      else setImmediate(() => controller.abort(new Error(`abort ${n}`)));
    }
    return call;
  });
  const results = await Promise.allSettled(calls);

  const tally = { correct: 0, crashed: 0, aborted: 0, wrong: [] as string[] };
  results.forEach((result, n) => {
    const kind = kinds[n];
    if (kind === 'normal') {
      if (result.status === 'fulfilled' && result.value === n * n) tally.correct++;
      else
        tally.wrong.push(
          `${n}: ${result.status === 'rejected' ? String(result.reason) : result.value}`,
        );
    } else if (kind === 'crash') {
      if (result.status === 'rejected' && result.reason.code === 'ERR_TANDEM_WORKER_CRASHED')
        tally.crashed++;
      else tally.wrong.push(`${n}: crash task ended ${result.status}`);
    } else if (result.status === 'rejected') {
      // An aborted task ends with its reason, or with the crash of a worker it shared.
      const { message, code } = result.reason;
      if (message === `abort ${n}` || code === 'ERR_TANDEM_WORKER_CRASHED') tally.aborted++;
      else tally.wrong.push(`${n}: aborted task rejected with ${String(result.reason)}`);
    } else tally.wrong.push(`${n}: aborted task resolved`);
  });
  const normal = kinds.filter((k) => k === 'normal').length;
  t.diagnostic(
    `normal ${normal} correct ${tally.correct}; crash ${tally.crashed}; aborted ${tally.aborted}`,
  );
  assert.deepEqual(tally.wrong, []);
  assert.equal(tally.correct, normal);
  assert.equal(tally.crashed, kinds.filter((k) => k === 'crash').length);
  assert.equal(tally.aborted, kinds.filter((k) => k === 'abort').length);
  assert.equal(pool.stats().running + pool.stats().queued, 0);
});
