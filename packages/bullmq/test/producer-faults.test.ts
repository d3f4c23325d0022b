// Faults between the producer and Redis: events trimmed while the producer was cut off
// (reconcile settles from the job's hash), a Redis restart mid-run (nothing lost, nothing
// settled twice), Redis unreachable at start (StartTimeoutError, nothing left open).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Engine } from '@tandem/core';
import { defineTasks } from '@tandem/workers';
import { Redis } from 'ioredis';
import { bullmq } from '../src/index.ts';
import { bullQueueName } from '../src/queue-name.ts';
import {
  freshQueue,
  inspector,
  needsRedis,
  rawWorker,
  signalled,
  stopTestRedis,
  tcpProxy,
  testRedis,
} from './producer-harness.ts';

after(stopTestRedis);

const tasks = defineTasks({
  hold: (_: string): string => 'done',
  double: (n: number) => n * 2,
});

test('events trimmed while the producer was cut off: the reconnect reconciles and the run settles', {
  skip: needsRedis,
  timeout: 60_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  const proxy = await tcpProxy(redis.port);
  t.after(() => proxy.close());
  const started = signalled<string>();
  const release = signalled<void>();
  const finished = signalled<void>();
  const worker = rawWorker(
    redis.url,
    queue,
    {
      hold: async (_input, { job }) => {
        started.resolve(job.id!);
        await release.promise;
        return 'done';
      },
      double: (n: number) => n * 2,
    },
    { concurrency: 8 },
  );
  worker.on('completed', (job) => {
    if (job.name === 'hold') finished.resolve();
  });
  t.after(() => worker.close());
  const cutOff = await Engine.start<typeof tasks>({
    backend: bullmq({
      connection: { host: '127.0.0.1', port: proxy.port },
      queue,
      eventsMaxLen: 10,
      reconcileInterval: 600_000, // only the reconnect may notice the gap
    }),
  });
  t.after(() => cutOff.close());
  const held = cutOff.run('hold', 'x');
  const id = await started.promise;
  proxy.cut();
  release.resolve();
  await finished.promise;
  // Another producer's traffic pushes the `completed` event of `hold` out of the stream.
  const other = await Engine.start<typeof tasks>({
    backend: bullmq({ connection: redis.url, queue, eventsMaxLen: 10 }),
  });
  t.after(() => other.close());
  const items = Array.from({ length: 300 }, (_, i) => i);
  assert.deepEqual(
    await other.map('double', items, { batch: 1 }),
    items.map((i) => i * 2),
  );
  const client = new Redis(redis.url);
  t.after(() => client.disconnect());
  const events = await client.xrange(`bull:${bullQueueName(queue, '1')}:events`, '-', '+');
  const completed = events.filter(
    ([, fields]) => fields.includes('completed') && fields.includes(id),
  );
  assert.equal(completed.length, 0, 'the completed event of the held job was trimmed');

  let settledTimes = 0;
  cutOff.pool.onSettled(() => settledTimes++);
  proxy.restore();
  assert.equal(await held, 'done');
  assert.equal(settledTimes, 1);
});

test('a Redis restart mid-run: every run settles once with its own result', {
  skip: needsRedis,
  timeout: 90_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  // A job whose completion was cut by the restart is recovered as stalled: soon, here.
  const worker = rawWorker(
    redis.url,
    queue,
    { double: (n: number) => n * 2 },
    { concurrency: 8, lockDuration: 2000, stalledInterval: 1000 },
  );
  t.after(() => worker.close());
  const engine = await Engine.start<typeof tasks>({
    backend: bullmq({ connection: redis.url, queue }),
  });
  t.after(() => engine.close());
  let settled = 0;
  engine.pool.onSettled(() => settled++);
  const quarter = signalled<void>();
  let done = 0;
  const runs = Array.from({ length: 200 }, (_, i) =>
    engine.run('double', i).then((value) => {
      if (++done === 50) quarter.resolve();
      return value;
    }),
  );
  await quarter.promise;
  await redis.restart();
  const values = await Promise.all(runs);
  assert.deepEqual(
    values,
    runs.map((_, i) => i * 2),
  );
  assert.equal(settled, 200, 'each run settled exactly once');
  // Runs added after the restart go through too.
  assert.equal(await engine.run('double', 1000), 2000);
});

test('Redis unreachable at start: StartTimeoutError within startTimeout; abort: signal.reason', {
  skip: needsRedis,
  timeout: 30_000,
}, async () => {
  const proxy = await tcpProxy(1);
  proxy.cut();
  const connection = { host: '127.0.0.1', port: proxy.port };
  await assert.rejects(
    Engine.start({ backend: bullmq({ connection, queue: 'down' }), startTimeout: 300 }),
    { code: 'ERR_TANDEM_START_TIMEOUT' },
  );
  const controller = new AbortController();
  const starting = Engine.start({
    backend: bullmq({ connection, queue: 'down' }),
    signal: controller.signal,
  });
  const reason = new Error('gave up');
  setImmediate(() => controller.abort(reason));
  await assert.rejects(starting, (error) => error === reason);
  await proxy.close();
});

test('an event entry the reader cannot parse is stepped over; the reader goes on', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  const started = signalled<void>();
  const release = signalled<void>();
  const worker = rawWorker(redis.url, queue, {
    hold: async () => {
      started.resolve();
      await release.promise;
      return 'done';
    },
    double: (n: number) => n * 2,
  });
  t.after(() => worker.close());
  const engine = await Engine.start<typeof tasks>({
    backend: bullmq({ connection: redis.url, queue }),
  });
  t.after(() => engine.close());
  const held = engine.run('hold', 'x');
  await started.promise;
  const client = new Redis(redis.url);
  t.after(() => client.disconnect());
  // Another client writes an entry QueueEvents cannot JSON-parse.
  await client.xadd(
    `bull:${bullQueueName(queue, '1')}:events`,
    '*',
    'event',
    'completed',
    'jobId',
    'someone-else',
    'returnvalue',
    '{not json',
  );
  release.resolve();
  assert.equal(await held, 'done');
  assert.equal(await engine.run('double', 2), 4);
});

test('a map batch over maxPayloadBytes is split into jobs that fit; an item too large fails alone', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  const worker = rawWorker(redis.url, queue, { double: (s: string) => s.length });
  t.after(() => worker.close());
  const engine = await Engine.start({
    backend: bullmq({ connection: redis.url, queue, maxPayloadBytes: 4096 }),
  });
  t.after(() => engine.close());
  const items = Array.from({ length: 16 }, (_, i) => 'x'.repeat(i === 5 ? 5000 : 1000));
  const before = engine.stats().pool.messages;
  const settled = await engine.map('double', items, { batch: 16, settle: true });
  for (const [i, result] of settled.entries()) {
    if (i === 5) {
      assert.equal(result.status, 'rejected');
      assert.equal((result.reason as { code: string }).code, 'ERR_TANDEM_PAYLOAD_TOO_LARGE');
    } else {
      assert.deepEqual(result, { status: 'fulfilled', value: 1000 });
    }
  }
  assert.ok(engine.stats().pool.messages - before > 1, 'sent as several jobs');
  await assert.rejects(engine.map('double', items, { batch: 16 }), {
    code: 'ERR_TANDEM_MAP_ITEM_FAILED',
    index: 5,
  });
});

test('Redis unreachable: an abort rejects at once, close ends, and the job is removed once Redis is back', {
  skip: needsRedis,
  timeout: 60_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  const proxy = await tcpProxy(redis.port);
  t.after(() => proxy.close());
  const engine = await Engine.start<typeof tasks>({
    backend: bullmq({ connection: { host: '127.0.0.1', port: proxy.port }, queue }),
  });
  const q = inspector(redis.url, queue);
  t.after(() => q.close());
  proxy.cut();
  const controller = new AbortController();
  const run = engine.run('hold', 'x', { signal: controller.signal });
  const reason = new Error('not waiting for Redis');
  controller.abort(reason);
  await assert.rejects(run, (error) => error === reason);
  const pending = engine.run('hold', 'y');
  const destroyed = assert.rejects(pending, { code: 'ERR_TANDEM_POOL_DESTROYED' });
  await engine.close({ timeout: 100 });
  await destroyed;
  proxy.restore();
  const counts = await q.getJobCounts('wait', 'active');
  assert.deepEqual(Object.values(counts), [0, 0], 'nothing was added behind the caller');
});

test('a start abandoned at any instant rejects with signal.reason and leaves no connection open', {
  skip: needsRedis,
  timeout: 60_000,
}, async (t) => {
  const redis = await testRedis();
  const client = new Redis(redis.url);
  t.after(() => client.disconnect());
  const connections = async () =>
    String(await client.call('CLIENT', 'LIST'))
      .trim()
      .split('\n').length;
  const before = await connections();
  for (let ticks = 0; ticks < 12; ticks++) {
    const controller = new AbortController();
    const reason = new Error(`abandoned after ${ticks} ticks`);
    const starting = Engine.start({
      backend: bullmq({ connection: redis.url, queue: freshQueue() }),
      signal: controller.signal,
    });
    let left = ticks;
    const tick = () => (left-- > 0 ? setImmediate(tick) : controller.abort(reason));
    tick();
    try {
      const engine = await starting;
      await engine.close(); // it won the race
    } catch (error) {
      assert.equal(error, reason);
    }
  }
  // Connections close asynchronously on the server side: meet on the count, not a delay.
  const { until } = await import('./producer-harness.ts');
  await until(async () => (await connections()) === before, 'every connection to close');
});
