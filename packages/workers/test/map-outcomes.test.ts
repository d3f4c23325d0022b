import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { type TasksOf, WorkerPool } from '@tandem/workers';
import { mapBatched } from '@tandem/workers/internal';
import type hostileTasks from './fixtures/hostile.ts';
import { fixture } from './gate.ts';

const start = () =>
  WorkerPool.start<TasksOf<typeof hostileTasks>>({ tasks: fixture('hostile'), threads: 1 });

const items = (values: string[]) => {
  const counter = new Int32Array(new SharedArrayBuffer(4));
  return { counter, inputs: values.map((value) => ({ value, counter })) };
};

test('map settle: one uncloneable result rejects that item alone', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  const { inputs } = items(['a', 'bad', 'c', 'd']);
  const results = (await mapBatched(pool, 'item', inputs, {
    settle: true,
    batch: 4,
  })) as PromiseSettledResult<string>[];
  assert.deepEqual(
    results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as { code: string }).code)),
    ['A', 'ERR_TANDEM_UNCLONEABLE_RESULT', 'C', 'D'],
  );
});

test('map: an item that crashes its worker rejects with MapItemError naming its index; with settle the others run again', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  const first = items(['a', 'b', 'crash', 'd']);
  await assert.rejects(
    mapBatched(pool, 'item', first.inputs, { batch: 4 }),
    (error: Error & { code: string; index: number }) => {
      assert.equal(error.code, 'ERR_TANDEM_MAP_ITEM_FAILED');
      assert.equal(error.index, 2);
      assert.equal((error.cause as { code: string }).code, 'ERR_TANDEM_WORKER_CRASHED');
      return true;
    },
  );
  const second = items(['a', 'b', 'crash', 'd']);
  const results = (await mapBatched(pool, 'item', second.inputs, {
    settle: true,
    batch: 4,
  })) as PromiseSettledResult<string>[];
  assert.deepEqual(
    results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as { code: string }).code)),
    ['A', 'B', 'ERR_TANDEM_WORKER_CRASHED', 'D'],
  );
  // The crashing item ran once; a, b ran twice (their results died with the worker), d once.
  assert.equal(Atomics.load(second.counter, 0), 6);
});

test('map: a throwing onProgress rejects with CALLBACK_FAILED after its batches settle, leaving no listener', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  const controller = new AbortController();
  const thrown = new Error('progress callback');
  await assert.rejects(
    mapBatched(pool, 'double', [1, 2, 3, 4, 5, 6, 7, 8], {
      batch: 2,
      signal: controller.signal,
      onProgress: () => {
        throw thrown;
      },
    }),
    { code: 'ERR_TANDEM_CALLBACK_FAILED', cause: thrown },
  );
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  // Batches cancelled before they started may still be on their way out of the worker.
  const stats = pool.stats();
  assert.equal(stats.queued + stats.running, 0, 'nothing left running or waiting');
});

test('map: inputs that are not iterable are refused with ERR_TANDEM_INVALID_ARGUMENT', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  await assert.rejects(
    mapBatched(pool, 'double', [1, 2], { deadline: new AbortController().signal as never }),
    {
      code: 'ERR_TANDEM_INVALID_ARGUMENT',
    },
  );
  for (const inputs of [null, 5, undefined, {}]) {
    await assert.rejects(mapBatched(pool, 'double', inputs as never), {
      code: 'ERR_TANDEM_INVALID_ARGUMENT',
    });
  }
});

test('map: an input that cannot be sent rejects alone; the other items of its batch run', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  const results = (await mapBatched(pool, 'double', [1, () => 2, 3, new WeakMap(), 5], {
    settle: true,
    batch: 5,
  })) as PromiseSettledResult<number>[];
  assert.deepEqual(
    results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as { code: string }).code)),
    [2, 'ERR_TANDEM_UNCLONEABLE_INPUT', 6, 'ERR_TANDEM_UNCLONEABLE_INPUT', 10],
  );
  await assert.rejects(mapBatched(pool, 'double', [1, () => 2, 3], { batch: 3 }), {
    code: 'ERR_TANDEM_MAP_ITEM_FAILED',
    index: 1,
  });
});
