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

test('chaos: async tasks beside tasks that end their worker, with timeouts and aborts at random instants: only the tasks that end it fail as crashed', async (t) => {
  // Async tasks are running when a neighbour calls process.exit(); a task cancelled at the
  // instant it ends its worker must keep the blame.
  const pool = await WorkerPool.start<ChaosTasks>({
    tasks: fixture('chaos'),
    threads: 2,
    grace: 30,
  });
  t.after(() => pool.destroy());
  const random = lcg(7);
  const next = () => random.next().value as number;
  const calls: { kind: string; expected: number; call: Promise<number | undefined> }[] = [];
  for (let n = 0; n < 200; n++) {
    const r = next();
    const kind = r < 0.35 ? 'work' : r < 0.9 ? 'sleep' : 'exit';
    const controller = new AbortController();
    const q = next();
    const options =
      q < 0.25 ? { signal: controller.signal } : q < 0.4 ? { timeout: 1 + next() * 20 } : {};
    const call =
      kind === 'work'
        ? pool.run('work', { n, crash: false, waitForAbort: false }, options)
        : kind === 'sleep'
          ? pool.run('sleep', { n, ms: next() * 30 }, options)
          : pool.run('exit', undefined, options);
    call.catch(() => {});
    calls.push({ kind, expected: kind === 'work' ? n * n : n, call });
    const when = next();
    if (when < 0.1) controller.abort();
    else if (when < 0.2) queueMicrotask(() => controller.abort());
    else if (when < 0.4) setTimeout(() => controller.abort(), next() * 30);
    if (next() < 0.3) await new Promise((resolve) => setTimeout(resolve, next() * 5));
  }
  const results = await Promise.allSettled(calls.map((c) => c.call));
  const wrong: string[] = [];
  let crashed = 0;
  results.forEach((result, n) => {
    const { kind, expected } = calls[n]!;
    if (result.status === 'fulfilled') {
      if (kind === 'exit' || result.value !== expected) wrong.push(`${n} ${kind}: ${result.value}`);
      return;
    }
    const { name, code } = result.reason as { name: string; code: string };
    if (code === 'ERR_TANDEM_WORKER_CRASHED') {
      if (kind === 'exit') crashed++;
      else wrong.push(`${n} ${kind}: blamed for a crash`);
    } else if (name !== 'AbortError' && code !== 'ERR_TANDEM_TASK_TIMEOUT') {
      wrong.push(`${n} ${kind}: ${String(result.reason)}`);
    }
  });
  t.diagnostic(`exit tasks that crashed their worker: ${crashed}`);
  assert.deepEqual(wrong, []);
  assert.ok(crashed > 0, 'some worker was ended');
  assert.equal(pool.stats().running + pool.stats().queued, 0);
});
