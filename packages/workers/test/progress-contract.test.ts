import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { type TasksOf, WorkerPool } from '@tandem/workers';
import type hostileTasks from './fixtures/hostile.ts';
import { fixture } from './gate.ts';

type HostileTasks = TasksOf<typeof hostileTasks>;

const start = (extra = {}) =>
  WorkerPool.start<HostileTasks>({ tasks: fixture('hostile'), threads: 1, ...extra });

test('a throwing onProgress cancels its task with ERR_TANDEM_CALLBACK_FAILED; other tasks are unaffected', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  const thrown = new Error('from onProgress');
  const bad = pool.run('progress', 3, {
    onProgress: () => {
      throw thrown;
    },
  });
  const good = pool.run('double', 21);
  const error = await bad.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e as { code: string; cause: unknown },
  );
  assert.equal(error.code, 'ERR_TANDEM_CALLBACK_FAILED');
  assert.equal(error.cause, thrown);
  assert.equal(await good, 42);
  assert.equal(await pool.run('double', 1), 2);
});

test('onProgress that is not a function is refused at submit', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  await assert.rejects(pool.run('progress', 1, { onProgress: 'x' as never }), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
  assert.equal(pool.stats().queued + pool.stats().inWorkers, 0);
});

test('ctx.progress() with an uncloneable value fails the task with ERR_TANDEM_UNCLONEABLE_PROGRESS', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  await assert.rejects(pool.run('badProgress', null, { onProgress: () => {} }), {
    code: 'ERR_TANDEM_UNCLONEABLE_PROGRESS',
  });
  assert.equal(await pool.run('double', 2), 4);
});

test('cancelling a task whose result waits for its progress rejects it alone, never a neighbour', async (t) => {
  const pool = await start({ concurrentTasksPerWorker: 4 });
  t.after(() => pool.destroy());
  for (let round = 0; round < 50; round++) {
    const controller = new AbortController();
    const seen: unknown[] = [];
    // Cancel from the first progress callback: often the result is already in and held.
    const held = pool.run('progress', 20, {
      signal: controller.signal,
      onProgress: (value) => {
        seen.push(value);
        controller.abort(new Error('enough'));
      },
    });
    const neighbours = [pool.run('double', round), pool.run('double', round + 1)];
    const outcome = await held.then(
      (value) => ({ value }),
      (error: Error) => ({ error }),
    );
    if ('error' in outcome) assert.equal(outcome.error.message, 'enough');
    assert.deepEqual(await Promise.all(neighbours), [round * 2, (round + 1) * 2]);
    assert.ok(seen.length <= 1, 'no progress after the cancel');
  }
  const stats = pool.stats();
  assert.equal(stats.queued + stats.inWorkers, 0);
});

test('onProgress runs in the caller’s AsyncLocalStorage context', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  const store = new AsyncLocalStorage<string>();
  const contexts: (string | undefined)[] = [];
  await store.run('request-42', () =>
    pool.run('progress', 3, { onProgress: () => contexts.push(store.getStore()) }),
  );
  assert.deepEqual(contexts, ['request-42', 'request-42', 'request-42']);
});

test('no abort listener is left on the caller’s signal after tasks settle', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  const controller = new AbortController();
  await Promise.all([1, 2, 3].map((n) => pool.run('double', n, { signal: controller.signal })));
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
});
