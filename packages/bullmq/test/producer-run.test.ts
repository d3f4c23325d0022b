// The producer against a raw BullMQ worker that follows the wire contract: run, map, scope and
// pipeline through Redis; errors keep class, code and cause; stats and onSettled.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Engine, type TaskSettledEvent } from '@tandem/core';
import { defineTasks, TandemError } from '@tandem/workers';
import { bullmq } from '../src/index.ts';
import {
  freshQueue,
  needsRedis,
  rawWorker,
  register,
  signalled,
  stopTestRedis,
  testRedis,
} from './producer-harness.ts';

after(stopTestRedis);

class QuotaError extends TandemError {
  override readonly code = 'ERR_TANDEM_TEST_QUOTA' as const;
}

const tasks = defineTasks({
  double: (n: number) => n * 2,
  shape: (v: Map<string, Date>) => v,
  fail: (_: string): number => {
    throw new RangeError('bad', { cause: new Error('root') });
  },
});

const handlers = {
  double: (n: number) => n * 2,
  shape: (v: unknown) => v,
  fail: (what: string) => {
    if (what === 'coded') {
      const error = Object.assign(new Error('quota'), { code: 'E_QUOTA', extra: 7 });
      throw error;
    }
    throw new RangeError('bad', { cause: new Error('root') });
  },
};

test('engine.run goes through Redis to a worker and back, with structured-clone fidelity', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  const worker = rawWorker(redis.url, queue, handlers);
  t.after(() => worker.close());
  const engine = await Engine.start<typeof tasks>({
    backend: bullmq({ connection: redis.url, queue }),
  });
  t.after(() => engine.close());
  assert.equal(engine.pool.kind, 'bullmq');
  const n: number = await engine.run('double', 21);
  assert.equal(n, 42);
  // The module's type can also come with the factory.
  const typed = await Engine.start({
    backend: bullmq<typeof tasks>({ connection: redis.url, queue }),
  });
  t.after(() => typed.close());
  assert.equal(await typed.run('double', 2), 4);
  // @ts-expect-error: no such task in the module
  await assert.rejects(typed.run('nope', 1)); // the worker does not know it either
  // @ts-expect-error: double takes a number
  assert.ok(Number.isNaN(await typed.run('double', 'two')));
  const value = new Map([['at', new Date(0)]]);
  assert.deepEqual(await engine.run('shape', value), value);
});

test('errors keep their class, code, cause and properties', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  const worker = rawWorker(redis.url, queue, handlers);
  t.after(() => worker.close());
  const engine = await Engine.start<typeof tasks>({
    backend: bullmq({ connection: redis.url, queue }),
  });
  t.after(() => engine.close());
  const error = await engine.run('fail', 'plain').catch((e: unknown) => e);
  assert.ok(error instanceof RangeError);
  assert.equal((error.cause as Error).message, 'root');
  const coded = await engine.run('fail', 'coded').catch((e: unknown) => e);
  assert.equal((coded as { code: string }).code, 'E_QUOTA');
  assert.equal((coded as { extra: number }).extra, 7);
  void QuotaError;
});

test('map, scope and pipeline run through the backend; map sends one job per batch', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  const worker = rawWorker(redis.url, queue, handlers);
  t.after(() => worker.close());
  await register(redis.url, queue, 'w1', { names: ['double', 'shape', 'fail'], threads: 2 });
  const engine = await Engine.start<typeof tasks>({
    backend: bullmq({ connection: redis.url, queue }),
  });
  t.after(() => engine.close());
  assert.equal(engine.pool.threads, 2);
  assert.deepEqual(engine.pool.taskNames, ['double', 'fail', 'shape']);
  const items = Array.from({ length: 50 }, (_, i) => i);
  const before = engine.stats().pool.messages;
  assert.deepEqual(
    await engine.map('double', items, { batch: 10 }),
    items.map((i) => i * 2),
  );
  assert.equal(engine.stats().pool.messages - before, 5, 'one job per batch');
  const settled = await engine.map('fail', ['a', 'b'], { settle: true, batch: 2 });
  assert.equal(settled[0]!.status, 'rejected');
  const sum = await engine.scope(async () => {
    const [a, b] = await Promise.all([engine.run('double', 1), engine.run('double', 2)]);
    return a + b;
  });
  assert.equal(sum, 6);
  const out: number[] = [];
  async function* source() {
    yield* [1, 2, 3];
  }
  for await (const n of engine.pipeline(source()).cpu('double')) out.push(n as number);
  assert.deepEqual(out.sort(), [2, 4, 6]);
});

test('stats and onSettled describe remote runs as local ones', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  const worker = rawWorker(redis.url, queue, handlers);
  t.after(() => worker.close());
  const engine = await Engine.start<typeof tasks>({
    backend: bullmq({ connection: redis.url, queue }),
  });
  t.after(() => engine.close());
  const events: TaskSettledEvent[] = [];
  const off = engine.pool.onSettled((event) => events.push(event));
  await engine.run('double', 1);
  await engine.run('fail', 'x').catch(() => {});
  off();
  assert.deepEqual(
    events.map((e) => [e.task, e.outcome]),
    [
      ['double', 'ok'],
      ['fail', 'error'],
    ],
  );
  for (const e of events) assert.ok(e.waitMs >= 0 && e.runMs >= 0 && e.orphanMs === 0);
  const stats = engine.stats().pool;
  assert.equal(stats.completed, 1);
  assert.equal(stats.failed, 1);
  assert.equal(stats.queued, 0);
  assert.equal(stats.running, 0);
  assert.equal(stats.waitTime.count, 2);
});

test('foreign failures: RemoteFailureError; a job stalled past maxStalledCount: WorkerCrashedError', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  const started = signalled<void>();
  const stuck = rawWorker(
    redis.url,
    queue,
    {
      double: () => {
        throw Object.assign(new Error('not from Tandem'), { raw: true });
      },
      shape: async () => {
        started.resolve();
        await new Promise(() => {}); // never ends: its process will be "killed"
      },
    },
    { lockDuration: 1000, stalledInterval: 200 },
  );
  const engine = await Engine.start<typeof tasks>({
    backend: bullmq({ connection: redis.url, queue }),
  });
  t.after(() => engine.close());
  await assert.rejects(engine.run('double', 1), {
    code: 'ERR_TANDEM_REMOTE_FAILURE',
    reason: 'not from Tandem',
  });
  const crashed = engine.run('shape', new Map());
  const events: string[] = [];
  engine.pool.onSettled((e) => events.push(e.outcome));
  await started.promise;
  await stuck.close(true); // stops renewing the lock, as a killed process would
  const checker = rawWorker(redis.url, queue, {}, { stalledInterval: 200, maxStalledCount: 0 });
  t.after(() => checker.close());
  await assert.rejects(crashed, { code: 'ERR_TANDEM_WORKER_CRASHED' });
  assert.deepEqual(events, ['crashed']);
  assert.equal(engine.stats().pool.crashed, 1);
});

test('attempts: a retryable failure is run again; only the last failure settles the run', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  let tries = 0;
  const worker = rawWorker(redis.url, queue, {
    double: (n: number) => {
      if (++tries < 3) throw Object.assign(new Error(`try ${tries}`), { retryable: true });
      return n * 2;
    },
    fail: () => {
      throw Object.assign(new RangeError('always'), { retryable: true });
    },
  });
  t.after(() => worker.close());
  const engine = await Engine.start<typeof tasks>({
    backend: bullmq({
      connection: redis.url,
      queue,
      attempts: 3,
      backoff: { type: 'fixed', delay: 10 },
    }),
  });
  t.after(() => engine.close());
  assert.equal(await engine.run('double', 4), 8);
  assert.equal(tries, 3);
  await assert.rejects(engine.run('fail', 'x'), RangeError);
});

test('stats count queued and running jobs; estimateWait and threads follow the registry', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  const engine = await Engine.start<typeof tasks>({
    backend: bullmq({ connection: redis.url, queue }),
  });
  t.after(() => engine.close());
  assert.equal(engine.pool.threads, 1, 'one thread assumed while no worker is registered');
  assert.equal(engine.pool.taskNames, undefined);
  assert.equal(engine.pool.estimateWait('double'), Number.POSITIVE_INFINITY);
  const started = signalled<void>();
  const release = signalled<void>();
  const worker = rawWorker(
    redis.url,
    queue,
    {
      shape: async (v: unknown) => {
        started.resolve();
        await release.promise;
        return v;
      },
    },
    { concurrency: 1 },
  );
  t.after(() => worker.close());
  const running = engine.run('shape', new Map());
  const queued = engine.run('shape', new Map());
  await started.promise;
  const { until } = await import('./producer-harness.ts');
  await until(() => engine.stats().pool.running === 1, 'the active event');
  assert.equal(engine.stats().pool.queued, 1);
  await register(redis.url, queue, 'w9', { names: ['shape'], threads: 3 });
  const { queueCounts } = await import('../src/index.ts');
  const counts = await queueCounts(engine); // also re-reads the registry
  assert.equal(counts.active, 1);
  assert.equal(counts.waiting, 1);
  assert.equal(counts.workers, 1);
  assert.equal(engine.pool.threads, 3);
  assert.equal(engine.stats().pool.threads, 3);
  const wait = engine.pool.estimateWait('shape');
  assert.ok(Number.isFinite(wait) && wait >= 0);
  release.resolve();
  await Promise.all([running, queued]);
  const closing = engine.pool.close();
  assert.equal(engine.pool.estimateWait('shape'), Number.POSITIVE_INFINITY, 'closing');
  await closing;
});
