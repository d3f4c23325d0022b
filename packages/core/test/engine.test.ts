import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { Engine } from '@tandem/core';
import type text from './fixtures/text.ts';

const tasks = new URL('./fixtures/text.ts', import.meta.url);

test('engine.run is typed by the task module and returns results', async (t) => {
  const engine = await Engine.start<typeof text>({ tasks, threads: 1 });
  t.after(() => engine.close());
  const count: number = await engine.run('wordCount', 'one two  three');
  assert.equal(count, 3);
  // @ts-expect-error: the input of wordCount is a string
  await assert.rejects(engine.run('wordCount', Symbol('x')), {
    code: 'ERR_TANDEM_UNCLONEABLE_INPUT',
  });
  // @ts-expect-error: no such task
  await assert.rejects(engine.run('nope', 1), { code: 'ERR_TANDEM_UNKNOWN_TASK' });
});

test('engine.stats() prints every default in force, the counters and the event-loop delay', async (t) => {
  const engine = await Engine.start<typeof text>({ tasks });
  t.after(() => engine.close());
  await engine.run('wordCount', 'a b');
  const stats = engine.stats();
  const threads = Math.max(1, availableParallelism() - 1);
  assert.equal(stats.pool.size, threads);
  assert.equal(stats.pool.threads, threads);
  assert.equal(stats.pool.concurrentTasksPerWorker, 'auto');
  assert.equal(stats.pool.maxQueue, 16 * threads);
  assert.equal(stats.pool.onFull, 'wait');
  assert.equal(stats.pool.grace, 1000);
  assert.deepEqual(stats.engine, {
    loopDelayResolution: 10,
    shutdownSignals: [],
    shutdownGrace: 10_000,
    startTimeout: 30_000,
  });
  assert.equal(stats.pool.completed, 1);
  assert.equal(stats.services, 0);
  for (const key of ['p50', 'p99', 'max'] as const) assert.equal(typeof stats.loop[key], 'number');
});

test('engine.stats() prints the options it was given back', async (t) => {
  const engine = await Engine.start<typeof text>({
    tasks,
    threads: 1,
    concurrentTasksPerWorker: 3,
    maxQueue: 5,
    onFull: 'reject',
    grace: 250,
    loopDelayResolution: 20,
    shutdownSignals: ['SIGTERM'],
    shutdownGrace: Number.POSITIVE_INFINITY,
    startTimeout: 60_000,
  });
  t.after(() => engine.close());
  const { pool, engine: own } = engine.stats();
  assert.deepEqual(
    [pool.size, pool.concurrentTasksPerWorker, pool.maxQueue, pool.onFull, pool.grace],
    [1, 3, 5, 'reject', 250],
  );
  assert.deepEqual(own, {
    loopDelayResolution: 20,
    shutdownSignals: ['SIGTERM'],
    shutdownGrace: Number.POSITIVE_INFINITY,
    startTimeout: 60_000,
  });
});

test('map returns results in input order, in batches of the requested size', async (t) => {
  const engine = await Engine.start<typeof text>({ tasks, threads: 2 });
  t.after(() => engine.close());
  const inputs = Array.from({ length: 1000 }, (_, i) => i * i);
  const roots = await engine.map('sqrt', inputs, { batch: 100 });
  assert.deepEqual(
    roots,
    inputs.map((_, i) => i),
  );
  assert.equal(engine.stats().pool.completed, 10, 'ten messages of 100 items');
});

test('map picks a batch size by itself and reports progress', async (t) => {
  const engine = await Engine.start<typeof text>({ tasks, threads: 1 });
  t.after(() => engine.close());
  const progress: number[] = [];
  const roots = await engine.map('sqrt', [0, 1, 4, 9, 16, 25, 36, 49, 64, 81], {
    onProgress: (done, total) => {
      assert.equal(total, 10);
      progress.push(done);
    },
  });
  assert.deepEqual(roots, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(progress.at(-1), 10);
});

test('one failing item rejects map with MapItemError naming the index, cause kept', async (t) => {
  const engine = await Engine.start<typeof text>({ tasks, threads: 1 });
  t.after(() => engine.close());
  const inputs = [1, 4, 9, -16, 25];
  await assert.rejects(
    engine.map('sqrt', inputs, { batch: 2 }),
    (error: { code: string; index: number; cause: Error }) => {
      assert.equal(error.code, 'ERR_TANDEM_MAP_ITEM_FAILED');
      assert.equal(error.index, 3);
      assert.ok(error.cause instanceof RangeError);
      return true;
    },
  );
  assert.equal(
    engine.stats().pool.running + engine.stats().pool.queued,
    0,
    'the rest was settled first',
  );
});

test('map with settle: true returns a settled result per item', async (t) => {
  const engine = await Engine.start<typeof text>({ tasks, threads: 1 });
  t.after(() => engine.close());
  const results = await engine.map('sqrt', [4, -1, 9], { settle: true, batch: 2 });
  assert.deepEqual(results[0], { status: 'fulfilled', value: 2 });
  assert.equal(results[1]?.status, 'rejected');
  assert.ok(results[1]?.status === 'rejected' && results[1].reason instanceof RangeError);
  assert.deepEqual(results[2], { status: 'fulfilled', value: 3 });
});

test('map with an aborted signal rejects with its reason', async (t) => {
  const engine = await Engine.start<typeof text>({ tasks, threads: 1 });
  t.after(() => engine.close());
  const reason = new Error('no');
  await assert.rejects(
    engine.map('sqrt', [1, 2], { signal: AbortSignal.abort(reason) }),
    (e) => e === reason,
  );
});

test('close() is idempotent and the engine works with await using', async () => {
  let kept: Engine<typeof text> | undefined;
  {
    await using engine = await Engine.start<typeof text>({ tasks, threads: 1 });
    kept = engine;
    assert.equal(await engine.run('wordCount', 'x'), 1);
  }
  await kept.close();
  await assert.rejects(kept.run('wordCount', 'y'), { code: 'ERR_TANDEM_POOL_CLOSED' });
});

test('a broken task module fails Engine.start with ERR_TANDEM_TASK_MODULE_LOAD', async () => {
  await assert.rejects(
    Engine.start({ tasks: new URL('./fixtures/missing.ts', import.meta.url), threads: 1 }),
    {
      code: 'ERR_TANDEM_TASK_MODULE_LOAD',
    },
  );
});
