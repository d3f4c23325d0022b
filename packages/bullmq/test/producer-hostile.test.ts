// The producer as a hostile user sees it: wrong option types, NaN, Infinity, huge numbers,
// Proxies that throw, oversized and uncloneable inputs, a full queue, close with jobs pending.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Engine } from '@tandem/core';
import { defineTasks } from '@tandem/workers';
import { bullmq } from '../src/index.ts';
import {
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

const tasks = defineTasks({
  echo: (v: unknown) => v,
  hold: (_: string): string => 'held',
});

const throwing = new Proxy(
  {},
  {
    get() {
      throw new Error('trap');
    },
    ownKeys() {
      throw new Error('trap');
    },
  },
);

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return '(a throwing Proxy)';
  }
}

test('bullmq() refuses bad options at once, with a code and the option named', () => {
  const url = 'redis://127.0.0.1:6379';
  const cases: [unknown, string][] = [
    [undefined, 'ERR_TANDEM_INVALID_ARGUMENT'],
    [null, 'ERR_TANDEM_INVALID_ARGUMENT'],
    ['redis://x', 'ERR_TANDEM_INVALID_ARGUMENT'],
    [{ queue: 'q' }, 'ERR_TANDEM_INVALID_ARGUMENT'],
    [{ connection: 42, queue: 'q' }, 'ERR_TANDEM_INVALID_ARGUMENT'],
    [{ connection: 'http://x', queue: 'q' }, 'ERR_TANDEM_INVALID_ARGUMENT'],
    [{ connection: 'not a url', queue: 'q' }, 'ERR_TANDEM_INVALID_ARGUMENT'],
    [{ connection: url, queue: 'a:b' }, 'ERR_TANDEM_INVALID_ARGUMENT'],
    [{ connection: url, queue: '' }, 'ERR_TANDEM_INVALID_ARGUMENT'],
    [{ connection: url, queue: 'x'.repeat(101) }, 'ERR_TANDEM_INVALID_ARGUMENT'],
    [{ connection: url, queue: 'q', version: 2 }, 'ERR_TANDEM_INVALID_ARGUMENT'],
    [{ connection: url, queue: 'q', prefix: 'a b' }, 'ERR_TANDEM_INVALID_ARGUMENT'],
    [{ connection: url, queue: 'q', attempts: 0 }, 'ERR_TANDEM_OUT_OF_RANGE'],
    [{ connection: url, queue: 'q', attempts: 1.5 }, 'ERR_TANDEM_INVALID_ARGUMENT'],
    [{ connection: url, queue: 'q', attempts: Number.NaN }, 'ERR_TANDEM_INVALID_ARGUMENT'],
    [
      { connection: url, queue: 'q', attempts: Number.POSITIVE_INFINITY },
      'ERR_TANDEM_OUT_OF_RANGE',
    ],
    [{ connection: url, queue: 'q', attempts: 1e12 }, 'ERR_TANDEM_OUT_OF_RANGE'],
    [{ connection: url, queue: 'q', attempts: '2' }, 'ERR_TANDEM_INVALID_ARGUMENT'],
    [{ connection: url, queue: 'q', backoff: 5 }, 'ERR_TANDEM_INVALID_ARGUMENT'],
    [
      { connection: url, queue: 'q', backoff: { type: 'linear', delay: 1 } },
      'ERR_TANDEM_INVALID_ARGUMENT',
    ],
    [
      { connection: url, queue: 'q', backoff: { type: 'fixed', delay: -1 } },
      'ERR_TANDEM_OUT_OF_RANGE',
    ],
    [{ connection: url, queue: 'q', backoff: { type: 'fixed' } }, 'ERR_TANDEM_INVALID_ARGUMENT'],
    [{ connection: url, queue: 'q', keep: { age: 1 } }, 'ERR_TANDEM_INVALID_ARGUMENT'],
    [{ connection: url, queue: 'q', keep: { age: -1, count: 1 } }, 'ERR_TANDEM_OUT_OF_RANGE'],
    [{ connection: url, queue: 'q', keep: { age: 1e300, count: 1 } }, 'ERR_TANDEM_OUT_OF_RANGE'],
    [{ connection: url, queue: 'q', maxPayloadBytes: 0 }, 'ERR_TANDEM_OUT_OF_RANGE'],
    [{ connection: url, queue: 'q', maxPayloadBytes: 2 ** 40 }, 'ERR_TANDEM_OUT_OF_RANGE'],
    [{ connection: url, queue: 'q', eventsMaxLen: Number.NaN }, 'ERR_TANDEM_INVALID_ARGUMENT'],
    [{ connection: url, queue: 'q', reconcileInterval: 0 }, 'ERR_TANDEM_OUT_OF_RANGE'],
    [{ connection: url, queue: 'q', reconcileInterval: -Infinity }, 'ERR_TANDEM_OUT_OF_RANGE'],
    [throwing, 'ERR_TANDEM_INVALID_ARGUMENT'],
    [{ connection: url, queue: 'q', keep: throwing }, 'ERR_TANDEM_INVALID_ARGUMENT'],
    [{ connection: throwing, queue: 'q' }, 'ERR_TANDEM_INVALID_ARGUMENT'],
  ];
  for (const [options, code] of cases) {
    assert.throws(() => bullmq(options as never), { code }, describe(options));
  }
  // What is accepted is read once: a getter cannot change its answer later.
  let reads = 0;
  const factory = bullmq({
    connection: url,
    get queue() {
      reads++;
      return 'q';
    },
  });
  assert.equal(reads, 1);
  assert.equal(factory.kind, 'bullmq');
  assert.doesNotThrow(() => bullmq({ connection: url, queue: 'q', reconcileInterval: Infinity }));
});

test('Engine.start refuses local-thread options beside the backend, and bad start bounds', async () => {
  const backend = bullmq({ connection: 'redis://127.0.0.1:1', queue: 'q' });
  await assert.rejects(Engine.start({ backend, threads: 2 } as never), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
  await assert.rejects(backend.start({ startTimeout: Number.NaN } as never), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
  await assert.rejects(
    backend.start({ startTimeout: 10, maxQueue: 0, signal: undefined, onFull: undefined }),
    { code: 'ERR_TANDEM_OUT_OF_RANGE' },
  );
  await assert.rejects(
    backend.start({ startTimeout: 10, maxQueue: 1, signal: undefined, onFull: 'drop' as never }),
    { code: 'ERR_TANDEM_INVALID_ARGUMENT' },
  );
  await assert.rejects(
    backend.start({
      startTimeout: 10,
      signal: AbortSignal.abort(new Error('no')),
      maxQueue: undefined,
      onFull: undefined,
    }),
    { message: 'no' },
  );
});

test('run refuses bad input and options before anything is sent', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  const engine = await Engine.start<typeof tasks>({
    backend: bullmq({ connection: redis.url, queue, maxPayloadBytes: 1024 }),
  });
  t.after(() => engine.close());
  const q = inspector(redis.url, queue);
  t.after(() => q.close());
  const pool = engine.pool;
  await assert.rejects(engine.run('echo', 'x'.repeat(2000)), {
    code: 'ERR_TANDEM_PAYLOAD_TOO_LARGE',
    what: 'input',
    limit: 1024,
  });
  await assert.rejects(
    engine.run('echo', () => 1),
    { code: 'ERR_TANDEM_UNCLONEABLE_INPUT' },
  );
  await assert.rejects(engine.run('echo', Symbol('s')), { code: 'ERR_TANDEM_UNCLONEABLE_INPUT' });
  await assert.rejects(pool.run('echo', 1, throwing as never), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
  await assert.rejects(pool.run('echo', 1, null as never), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
  await assert.rejects((pool.run as (name: unknown, input: unknown) => Promise<unknown>)(42, 1), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
  await assert.rejects(pool.run('echo', 1, { deadline: Number.NaN }), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
  await assert.rejects(pool.run('echo', 1, { timeout: -1 }), { code: 'ERR_TANDEM_OUT_OF_RANGE' });
  await assert.rejects(pool.run('echo', 1, { signal: {} as never }), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
  await assert.rejects(pool.run('echo', 1, { onProgress: 'x' as never }), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
  await assert.rejects(pool.run('echo', 1, { idempotencyKey: '' }), {
    code: 'ERR_TANDEM_OUT_OF_RANGE',
  });
  await assert.rejects(pool.run('echo', 1, { idempotencyKey: 5 as never }), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
  assert.throws(() => pool.onSettled('x' as never), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
  assert.throws(() => pool.estimateWait(3 as never), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
  assert.equal(pool.estimateWait('echo'), Number.POSITIVE_INFINITY, 'no live worker');
  await assert.rejects(pool.close(null as never), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
  await assert.rejects(pool.close({ timeout: Number.NaN }), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
  const counts = await q.getJobCounts('wait', 'active', 'completed', 'failed');
  assert.deepEqual(Object.values(counts), [0, 0, 0, 0], 'nothing reached Redis');
  assert.equal(engine.stats().pool.messages, 0);
});

test('map: an uncloneable item rejects alone; the others run (one job per batch)', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  const worker = rawWorker(redis.url, queue, { echo: (v: unknown) => v });
  t.after(() => worker.close());
  const engine = await Engine.start<typeof tasks>({
    backend: bullmq({ connection: redis.url, queue }),
  });
  t.after(() => engine.close());
  const settled = await engine.map('echo', [1, () => 2, 3], { settle: true, batch: 3 });
  assert.deepEqual(settled[0], { status: 'fulfilled', value: 1 });
  assert.equal((settled[1] as PromiseRejectedResult).reason.code, 'ERR_TANDEM_UNCLONEABLE_INPUT');
  assert.deepEqual(settled[2], { status: 'fulfilled', value: 3 });
  // transfer is accepted and ignored: nothing can be moved to another process.
  const buffer = new Uint8Array([1, 2, 3]);
  assert.deepEqual(await engine.run('echo', buffer, { transfer: true }), buffer);
  assert.equal(buffer.byteLength, 3, 'the caller keeps its buffer');
});

test('maxQueue: onFull reject refuses the next run; onFull wait admits it when one leaves', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  const strict = await Engine.start<typeof tasks>({
    backend: bullmq({ connection: redis.url, queue }),
    maxQueue: 2,
    onFull: 'reject',
  });
  t.after(() => strict.close({ timeout: 0 }));
  const held = [strict.run('hold', 'a'), strict.run('hold', 'b')];
  for (const run of held) run.catch(() => {});
  await assert.rejects(strict.run('hold', 'c'), { code: 'ERR_TANDEM_QUEUE_FULL' });
  assert.equal(strict.stats().pool.maxQueue, 2);

  const patient = await Engine.start<typeof tasks>({
    backend: bullmq({ connection: redis.url, queue: `${queue}w` }),
    maxQueue: 1,
  });
  t.after(() => patient.close({ timeout: 0 }));
  const release = signalled<void>();
  const worker = rawWorker(redis.url, `${queue}w`, {
    hold: async (v: string) => {
      await release.promise;
      return v;
    },
  });
  t.after(() => worker.close());
  const first = patient.run('hold', 'one');
  const controller = new AbortController();
  const cancelled = patient.run('hold', 'cancelled', { signal: controller.signal });
  const second = patient.run('hold', 'two');
  assert.equal(patient.stats().pool.queued, 3, 'callers waiting for room count as queued');
  controller.abort(new Error('left the line'));
  await assert.rejects(cancelled, { message: 'left the line' });
  release.resolve();
  assert.deepEqual(await Promise.all([first, second]), ['one', 'two']);
});

test('close({ timeout }) waits for pending runs, then destroys: every promise settles', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const queue = freshQueue();
  const q = inspector(redis.url, queue);
  t.after(() => q.close());
  const engine = await Engine.start<typeof tasks>({
    backend: bullmq({ connection: redis.url, queue }),
  });
  const runs = Array.from({ length: 30 }, (_, i) => engine.run('hold', `${i}`));
  const outcomes = Promise.allSettled(runs);
  await until(async () => (await q.getJobCounts('wait')).wait === 30, 'all jobs queued');
  await engine.close({ timeout: 50 });
  const settled = await outcomes;
  assert.ok(
    settled.every(
      (r) =>
        r.status === 'rejected' &&
        (r.reason as { code: string }).code === 'ERR_TANDEM_POOL_DESTROYED',
    ),
  );
  assert.equal((await q.getJobCounts('wait')).wait, 0, 'unkeyed jobs removed on destroy');
  await assert.rejects(engine.run('hold', 'late'), { code: 'ERR_TANDEM_POOL_CLOSED' });
  await engine.pool.destroy(); // idempotent
});
