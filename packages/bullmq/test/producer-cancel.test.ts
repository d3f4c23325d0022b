// Cancellation through Redis: a queued job is removed and its caller rejects at once; a running
// job gets its cancel flag and a PUBLISH, and its caller rejects with its own reason when the
// job ends. Aborts at every instant, deadlines, and a throwing onProgress.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Engine } from '@tandem/core';
import { defineTasks } from '@tandem/workers';
import { bullmq } from '../src/index.ts';
import { bullQueueName, tandemKeys } from '../src/queue-name.ts';
import {
  cancelWatcher,
  freshQueue,
  inspector,
  needsRedis,
  rawWorker,
  signalled,
  stopTestRedis,
  testRedis,
  until,
} from './producer-harness.ts';

after(stopTestRedis);

const tasks = defineTasks({ hold: (_: string): string => 'held', double: (n: number) => n * 2 });

async function engineOn(url: string, queue: string) {
  return Engine.start<typeof tasks>({ backend: bullmq({ connection: url, queue }) });
}

test('a queued job is removed from Redis and its caller rejects with signal.reason at once', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  const engine = await engineOn(redis.url, queue);
  t.after(() => engine.close());
  const q = inspector(redis.url, queue);
  t.after(() => q.close());
  const controller = new AbortController();
  const run = engine.run('hold', 'x', { signal: controller.signal });
  await until(async () => (await q.getJobCounts('wait')).wait === 1, 'the job to be queued');
  const reason = new Error('changed my mind');
  controller.abort(reason);
  await assert.rejects(run, (error) => error === reason);
  assert.equal((await q.getJobCounts('wait')).wait, 0, 'removed from the queue');
  assert.equal(engine.stats().pool.cancelled, 1);
});

test('aborts before the add lands, while it is in flight, and before the call leave no job', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  const engine = await engineOn(redis.url, queue);
  t.after(() => engine.close());
  const q = inspector(redis.url, queue);
  t.after(() => q.close());
  const aborted = AbortSignal.abort(new Error('early'));
  await assert.rejects(engine.run('hold', 'a', { signal: aborted }), { message: 'early' });
  // Aborted in the same tick as the call: the add is in flight.
  const runs = Array.from({ length: 20 }, (_, i) => {
    const controller = new AbortController();
    const run = engine.run('hold', `b${i}`, { signal: controller.signal });
    if (i % 2 === 0) controller.abort(new Error(`now ${i}`));
    else queueMicrotask(() => controller.abort(new Error(`soon ${i}`)));
    return run;
  });
  const results = await Promise.allSettled(runs);
  assert.ok(results.every((r) => r.status === 'rejected'));
  await engine.close();
  const counts = await q.getJobCounts('wait', 'active', 'completed', 'failed', 'delayed');
  assert.deepEqual(Object.values(counts), [0, 0, 0, 0, 0], 'no orphan job left in Redis');
});

test('a running job is told to stop (flag + PUBLISH); the caller rejects with its reason when it ends', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  const watcher = await cancelWatcher(redis.url, queue);
  t.after(() => watcher.close());
  const started = signalled<string>();
  const release = signalled<void>();
  const worker = rawWorker(redis.url, queue, {
    hold: async (_input, { job }) => {
      started.resolve(job.id!);
      await release.promise;
      throw new Error('the worker stopped it');
    },
  });
  t.after(() => worker.close());
  const engine = await engineOn(redis.url, queue);
  t.after(() => engine.close());
  const controller = new AbortController();
  const run = engine.run('hold', 'x', { signal: controller.signal });
  let settled = false;
  run.then(
    () => {},
    () => {
      settled = true;
    },
  );
  const id = await started.promise;
  const reason = new Error('stop');
  controller.abort(reason);
  await watcher.seen(id);
  const keys = tandemKeys('bull', bullQueueName(queue, '1'));
  assert.equal(await watcher.client.exists(`${keys.cancelKey}${id}`), 1, 'the flag is set');
  assert.equal(settled, false, 'a running job holds its caller until it ends');
  release.resolve();
  await assert.rejects(run, (error) => error === reason);
  await until(
    async () => (await watcher.client.exists(`${keys.cancelKey}${id}`)) === 0,
    'the flag to be deleted',
  );
});

test('deadline: TaskTimeoutError from the producer timer, queued or running; data.d is sent', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  const engine = await engineOn(redis.url, queue);
  t.after(() => engine.close());
  const q = inspector(redis.url, queue);
  t.after(() => q.close());
  await assert.rejects(engine.run('hold', 'x', { deadline: 50 }), {
    code: 'ERR_TANDEM_TASK_TIMEOUT',
    kind: 'deadline',
  });
  assert.equal((await q.getJobCounts('wait')).wait, 0, 'removed when its deadline passed');

  const seen = signalled<{ d: unknown; t: unknown }>();
  const release = signalled<void>();
  const worker = rawWorker(redis.url, queue, {
    hold: async (_input, { job }) => {
      seen.resolve({ d: job.data.d, t: job.data.t });
      await release.promise;
      return 'late';
    },
  });
  t.after(() => worker.close());
  const before = Date.now();
  const run = engine.run('hold', 'y', { deadline: 10_000, timeout: 5_000 });
  const data = await seen.promise;
  assert.equal(typeof data.d, 'number');
  assert.ok((data.d as number) >= before + 10_000);
  assert.equal(data.t, 5_000);
  release.resolve();
  assert.equal(await run, 'late');

  const watcher = await cancelWatcher(redis.url, queue);
  t.after(() => watcher.close());
  const release2 = signalled<void>();
  const started = signalled<string>();
  await worker.close();
  const worker2 = rawWorker(redis.url, queue, {
    hold: async (_input, { job }) => {
      started.resolve(job.id!);
      await release2.promise;
      return 'too late';
    },
  });
  t.after(() => worker2.close());
  const running = engine.run('hold', 'z', { deadline: 200 });
  const id = await started.promise;
  await watcher.seen(id);
  release2.resolve();
  await assert.rejects(running, { code: 'ERR_TANDEM_TASK_TIMEOUT', kind: 'deadline' });
});

test('a throwing onProgress cancels the job and rejects with CallbackError', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  const watcher = await cancelWatcher(redis.url, queue);
  t.after(() => watcher.close());
  const worker = rawWorker(redis.url, queue, {
    hold: async (_input, { job, progress }) => {
      assert.equal(job.data.p, 1, 'the worker is told that the caller listens');
      await progress({ step: 1 });
      await watcher.seen(job.id!);
      return 'ignored';
    },
  });
  t.after(() => worker.close());
  const engine = await engineOn(redis.url, queue);
  t.after(() => engine.close());
  const boom = new Error('listener broke');
  const seen: unknown[] = [];
  await assert.rejects(
    engine.run('hold', 'x', {
      onProgress: (value) => {
        seen.push(value);
        throw boom;
      },
    }),
    (error: { code?: string; cause?: unknown }) =>
      error.code === 'ERR_TANDEM_CALLBACK_FAILED' && error.cause === boom,
  );
  assert.deepEqual(seen, [{ step: 1 }]);
});

test('a failing run in a scope cancels its sibling on the remote worker', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  const watcher = await cancelWatcher(redis.url, queue);
  t.after(() => watcher.close());
  const started = signalled<string>();
  const worker = rawWorker(redis.url, queue, {
    hold: async (_input, { job }) => {
      started.resolve(job.id!);
      await watcher.seen(job.id!); // runs until its producer says stop
      return 'stopped';
    },
    double: async (n: number) => {
      await started.promise;
      throw new RangeError(`no ${n}`);
    },
  });
  t.after(() => worker.close());
  const engine = await engineOn(redis.url, queue);
  t.after(() => engine.close());
  let hold: Promise<string> | undefined;
  const scope = engine.scope(async () => {
    hold = engine.run('hold', 'x');
    await Promise.all([hold, engine.run('double', 1)]);
  });
  await assert.rejects(scope);
  await assert.rejects(hold!);
  // It rejected only once its job ended, which it did on being told to stop.
  assert.equal(watcher.ids.length, 1, 'the sibling was told to stop');
  assert.equal(engine.stats().pool.running, 0);
});
