// idempotencyKey: runs with the same task and key are one job, in one producer or across a
// restart; awaitJob re-awaits a keyed job from a fresh producer.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Engine } from '@tandem/core';
import { defineTasks } from '@tandem/workers';
import { awaitJob, bullmq, queueCounts } from '../src/index.ts';
import { keyedJobId } from '../src/job-id.ts';
import {
  freshQueue,
  inspector,
  needsRedis,
  rawWorker,
  signalled,
  stopTestRedis,
  testRedis,
} from './producer-harness.ts';

after(stopTestRedis);

const tasks = defineTasks({ render: (page: number): string => `page ${page}` });

function start(url: string, queue: string) {
  return Engine.start<typeof tasks>({ backend: bullmq({ connection: url, queue }) });
}

test('keyed job ids are deterministic, plain when they can be, hashed when not', () => {
  assert.equal(keyedJobId('render', 'invoice-42'), 'k-render-invoice-42');
  assert.equal(keyedJobId('render', 'a:b'), keyedJobId('render', 'a:b'));
  assert.doesNotMatch(keyedJobId('render', 'a:b'), /:/);
  assert.notEqual(keyedJobId('render', 'a:b'), keyedJobId('render', 'a:c'));
  assert.doesNotMatch(keyedJobId('we:ird', 'k'), /:/);
});

test('two runs with the same key are one job; a producer started later gets its result', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  let calls = 0;
  const release = signalled<void>();
  const worker = rawWorker(redis.url, queue, {
    render: async (page: number) => {
      calls++;
      await release.promise;
      return `page ${page}`;
    },
  });
  t.after(() => worker.close());
  const engine = await start(redis.url, queue);
  t.after(() => engine.close());
  const first = engine.run('render', 1, { idempotencyKey: 'doc-1' });
  const second = engine.run('render', 1, { idempotencyKey: 'doc-1' });
  release.resolve();
  assert.deepEqual(await Promise.all([first, second]), ['page 1', 'page 1']);
  assert.equal(calls, 1);

  // A new producer (another process, or this one restarted) adds the same key again: BullMQ
  // keeps the finished job, the add is a no-op, and its result is read from Redis.
  const later = await start(redis.url, queue);
  t.after(() => later.close());
  assert.equal(await later.run('render', 1, { idempotencyKey: 'doc-1' }), 'page 1');
  assert.equal(calls, 1, 'not run again');
  const counts = await queueCounts(later);
  assert.equal(counts.completed, 1);
});

test('one caller cancelling a shared keyed job does not cancel it for the other', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  const release = signalled<void>();
  const worker = rawWorker(redis.url, queue, {
    render: async (page: number) => {
      await release.promise;
      return `page ${page}`;
    },
  });
  t.after(() => worker.close());
  const engine = await start(redis.url, queue);
  t.after(() => engine.close());
  const controller = new AbortController();
  const first = engine.run('render', 2, { idempotencyKey: 'doc-2', signal: controller.signal });
  const second = engine.run('render', 2, { idempotencyKey: 'doc-2' });
  const reason = new Error('not me');
  controller.abort(reason);
  await assert.rejects(first, (error) => error === reason);
  release.resolve();
  assert.equal(await second, 'page 2');
});

test('awaitJob: a fresh producer awaits a keyed job still running, or finished; a missing one is lost', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  const started = signalled<void>();
  const release = signalled<void>();
  const worker = rawWorker(redis.url, queue, {
    render: async (page: number, { progress }) => {
      started.resolve();
      await release.promise;
      await progress('almost');
      return `page ${page}`;
    },
  });
  t.after(() => worker.close());
  const producer = await start(redis.url, queue);
  const run = producer.run('render', 3, { idempotencyKey: 'doc-3', onProgress: () => {} });
  const destroyed = assert.rejects(run, { code: 'ERR_TANDEM_POOL_DESTROYED' });
  await started.promise;
  // The producer goes away; its keyed job is left running.
  await producer.pool.destroy();
  await destroyed;

  const restarted = await start(redis.url, queue);
  t.after(() => restarted.close());
  const progress: unknown[] = [];
  const again = awaitJob(restarted, 'doc-3', {
    name: 'render',
    onProgress: (v) => progress.push(v),
  });
  release.resolve();
  assert.equal(await again, 'page 3');
  assert.deepEqual(progress, ['almost']);
  // Finished: read from the job's hash.
  assert.equal(await awaitJob(restarted, 'doc-3', { name: 'render' }), 'page 3');
  await assert.rejects(awaitJob(restarted, 'never-added', { name: 'render' }), {
    code: 'ERR_TANDEM_JOB_LOST',
  });
  await assert.rejects(
    // @ts-expect-error: not an engine on bullmq
    awaitJob({ pool: {} }, 'doc-3', { name: 'render' }),
    { code: 'ERR_TANDEM_INVALID_ARGUMENT' },
  );
});

test('destroy removes unkeyed jobs from the queue and leaves keyed ones', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  const q = inspector(redis.url, queue);
  t.after(() => q.close());
  const engine = await start(redis.url, queue);
  const unkeyed = engine.run('render', 1);
  const keyed = engine.run('render', 2, { idempotencyKey: 'stay' });
  const { until } = await import('./producer-harness.ts');
  await until(async () => (await q.getJobCounts('wait')).wait === 2, 'both jobs queued');
  const rejected = Promise.all([
    assert.rejects(unkeyed, { code: 'ERR_TANDEM_POOL_DESTROYED' }),
    assert.rejects(keyed, { code: 'ERR_TANDEM_POOL_DESTROYED' }),
  ]);
  await engine.pool.destroy();
  await rejected;
  const waiting = await q.getJobs(['wait']);
  assert.deepEqual(
    waiting.map((job) => job.id),
    [keyedJobId('render', 'stay')],
  );
  await assert.rejects(engine.run('render', 3), { code: 'ERR_TANDEM_POOL_CLOSED' });
});

test('a keyed job cancelled while running is removed when it ends: the key then starts afresh', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  let runs = 0;
  const started = signalled<void>();
  const release = signalled<void>();
  const worker = rawWorker(redis.url, queue, {
    render: async (page: number) => {
      runs++;
      if (runs === 1) {
        started.resolve();
        await release.promise;
        return 'from the cancelled run';
      }
      return `page ${page}`;
    },
  });
  t.after(() => worker.close());
  const engine = await start(redis.url, queue);
  t.after(() => engine.close());
  const controller = new AbortController();
  const first = engine.run('render', 7, { idempotencyKey: 'doc-7', signal: controller.signal });
  await started.promise;
  const reason = new Error('cancelled');
  controller.abort(reason);
  // Same key while the cancelled job still runs: waits for it to end and be removed.
  const second = engine.run('render', 7, { idempotencyKey: 'doc-7' });
  release.resolve();
  await assert.rejects(first, (error) => error === reason);
  assert.equal(await second, 'page 7');
  assert.equal(runs, 2);
});
