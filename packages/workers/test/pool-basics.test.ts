import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { defaultThreads, type TasksOf, WorkerPool } from '@tandem/workers';
import type basic from './fixtures/basic.ts';
import { fixture } from './gate.ts';

type Basic = TasksOf<typeof basic>;

test('the default size is every core but one, at least one', async (t) => {
  assert.equal(defaultThreads(), Math.max(1, availableParallelism() - 1));
  const pool = await WorkerPool.start<Basic>({ tasks: fixture('basic') });
  t.after(() => pool.destroy());
  const stats = pool.stats();
  assert.equal(stats.size, defaultThreads());
  assert.equal(stats.threads, defaultThreads());
});

test('threads overrides the size, and every option in force shows in stats()', async (t) => {
  const pool = await WorkerPool.start<Basic>({
    tasks: fixture('basic'),
    threads: 2,
    maxQueue: 5,
    grace: 50,
  });
  t.after(() => pool.destroy());
  const stats = pool.stats();
  assert.equal(stats.threads, 2);
  assert.equal(stats.maxQueue, 5);
  assert.equal(stats.grace, 50);
  assert.equal(stats.onFull, 'wait');
});

test('runs sync and async tasks and returns their results', async (t) => {
  const pool = await WorkerPool.start<Basic>({ tasks: fixture('basic'), threads: 1 });
  t.after(() => pool.destroy());
  assert.equal(await pool.run('add', { a: 2, b: 3 }), 5);
  assert.equal(await pool.run('later', 'x'), 'later:x');
  assert.deepEqual(
    await pool.run('echo', new Map([[1, { d: new Date(0) }]])),
    new Map([[1, { d: new Date(0) }]]),
  );
});

test('an unknown task name is refused with the known names', async (t) => {
  const pool = await WorkerPool.start<Basic>({ tasks: fixture('basic'), threads: 1 });
  t.after(() => pool.destroy());
  await assert.rejects(
    pool.run('nope' as 'echo', 1),
    (error: { code: string; known: string[] }) => {
      assert.equal(error.code, 'ERR_TANDEM_UNKNOWN_TASK');
      assert.ok(error.known.includes('echo'));
      return true;
    },
  );
});

test('bad options are refused with coded errors naming the option', async () => {
  await assert.rejects(WorkerPool.start({ tasks: fixture('basic'), threads: 0 }), {
    code: 'ERR_TANDEM_OUT_OF_RANGE',
  });
  await assert.rejects(WorkerPool.start({ tasks: fixture('basic'), threads: 1.5 }), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
  await assert.rejects(WorkerPool.start({ tasks: fixture('basic'), onFull: 'drop' as 'wait' }), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
  await assert.rejects(WorkerPool.start({ tasks: 42 as unknown as string }), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
});

test('bad run options are refused before anything is queued', async (t) => {
  const pool = await WorkerPool.start<Basic>({ tasks: fixture('basic'), threads: 1 });
  t.after(() => pool.destroy());
  await assert.rejects(pool.run('echo', 1, { timeout: -1 }), { code: 'ERR_TANDEM_OUT_OF_RANGE' });
  await assert.rejects(pool.run('echo', 1, { signal: {} as AbortSignal }), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
  await assert.rejects(pool.run('echo', 1, { idempotencyKey: 7 as unknown as string }), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
  await assert.rejects(pool.run('echo', 1, { idempotencyKey: '' }), {
    code: 'ERR_TANDEM_OUT_OF_RANGE',
  });
  await assert.rejects(pool.run('echo', 1, { idempotencyKey: 'k'.repeat(201) }), {
    code: 'ERR_TANDEM_OUT_OF_RANGE',
  });
  assert.equal(pool.stats().queued + pool.stats().inWorkers, 0);
  // Checked, then ignored: nothing outlives a local pool to deduplicate against.
  assert.equal(await pool.run('echo', 1, { idempotencyKey: 'order-17' }), 1);
});

test('an input that cannot be cloned is refused at submit, naming the task and path; the pool goes on', async (t) => {
  const pool = await WorkerPool.start<Basic>({ tasks: fixture('basic'), threads: 1 });
  t.after(() => pool.destroy());
  await assert.rejects(
    pool.run('echo', { nested: [1, () => 2] }),
    (error: { code: string; task: string; path: string }) => {
      assert.equal(error.code, 'ERR_TANDEM_UNCLONEABLE_INPUT');
      assert.equal(error.task, 'echo');
      assert.equal(error.path, 'input.nested[1]');
      return true;
    },
  );
  await assert.rejects(pool.run('echo', Symbol('s')), { code: 'ERR_TANDEM_UNCLONEABLE_INPUT' });
  await assert.rejects(pool.run('echo', { p: Promise.resolve() }), {
    code: 'ERR_TANDEM_UNCLONEABLE_INPUT',
  });
  assert.equal(await pool.run('add', { a: 1, b: 1 }), 2);
  assert.equal(pool.stats().workersReplaced, 0);
});

test('a result that cannot be cloned rejects with a coded error; the worker survives', async (t) => {
  const pool = await WorkerPool.start<Basic>({ tasks: fixture('basic'), threads: 1 });
  t.after(() => pool.destroy());
  await assert.rejects(pool.run('returnsFunction', undefined), {
    code: 'ERR_TANDEM_UNCLONEABLE_RESULT',
    path: 'result.fn',
  });
  assert.equal(await pool.run('add', { a: 1, b: 1 }), 2);
  assert.equal(pool.stats().workersReplaced, 0);
});

test('every progress report reaches onProgress, in order, before the result', async (t) => {
  const pool = await WorkerPool.start<Basic>({ tasks: fixture('basic'), threads: 1 });
  t.after(() => pool.destroy());
  for (const steps of [4, 500]) {
    const seen: unknown[] = [];
    // Progress and results travel on different ports; the pool holds the result back.
    const result = await pool.run('progress', steps, { onProgress: (value) => seen.push(value) });
    assert.equal(result, steps);
    assert.equal(seen.length, steps);
    assert.deepEqual(
      seen,
      Array.from({ length: steps }, (_, i) => (i + 1) / steps),
    );
  }
});

test('stats count completed and failed tasks and record latencies', async (t) => {
  const pool = await WorkerPool.start<Basic>({ tasks: fixture('basic'), threads: 1 });
  t.after(() => pool.destroy());
  await Promise.all(Array.from({ length: 10 }, (_, i) => pool.run('echo', i)));
  await pool.run('returnsFunction', undefined).catch(() => {});
  const stats = pool.stats();
  assert.equal(stats.completed, 10);
  assert.equal(stats.failed, 1);
  assert.equal(stats.runTime.count, 11);
  assert.ok(stats.runTime.p50 > 0);
  assert.ok(stats.utilization > 0 && stats.utilization <= 1);
});

test('a module that defines other tasks in another thread: a call landing there rejects, coded, saying so', async (t) => {
  const pool = await WorkerPool.start({ tasks: fixture('threads-differ'), threads: 2 });
  t.after(() => pool.destroy());
  // start() read the names from one worker: its own `only…` task is known, the other's not.
  const only = pool.taskNames.find((name) => name.startsWith('only'))!;
  // A burst is spread over both workers: some calls land where `only…` is not defined.
  const outcomes = await Promise.allSettled(
    Array.from({ length: 200 }, (_, i) => pool.run(only as never, i)),
  );
  let refused = 0;
  for (const [i, outcome] of outcomes.entries()) {
    if (outcome.status === 'fulfilled') {
      assert.equal(outcome.value, i);
      continue;
    }
    refused++;
    assert.equal(outcome.reason.code, 'ERR_TANDEM_UNKNOWN_TASK');
    assert.equal(outcome.reason.task, only);
    assert.match(outcome.reason.message, /same tasks in every worker thread/);
  }
  assert.ok(refused > 0 && refused < 200, `${refused} refused`);
  assert.equal(pool.stats().crashed, 0);
});
