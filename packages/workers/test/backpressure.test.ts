import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type TasksOf, WorkerPool } from '@tandem/workers';
import type gateTasks from './fixtures/gate.ts';
import { fixture, gate } from './gate.ts';

type GateTasks = TasksOf<typeof gateTasks>;

test("a full queue with onFull: 'reject' refuses with ERR_TANDEM_QUEUE_FULL and keeps what it has", async (t) => {
  const pool = await WorkerPool.start<GateTasks>({
    tasks: fixture('gate'),
    threads: 1,
    concurrentTasksPerWorker: 1,
    maxQueue: 2,
    onFull: 'reject',
  });
  t.after(() => pool.destroy());
  const g = gate();
  const holding = pool.run('hold', g.cells);
  await g.started(1);
  const queued = [pool.run('echo', 1), pool.run('echo', 2)];
  await assert.rejects(pool.run('echo', 3), { code: 'ERR_TANDEM_QUEUE_FULL', maxQueue: 2 });
  g.open();
  await holding;
  assert.deepEqual(await Promise.all(queued), [1, 2]);
});

test("a full queue with onFull: 'wait' makes the caller wait for room, in order", async (t) => {
  const pool = await WorkerPool.start<GateTasks>({
    tasks: fixture('gate'),
    threads: 1,
    concurrentTasksPerWorker: 1,
    maxQueue: 1,
  });
  t.after(() => pool.destroy());
  const g = gate();
  const holding = pool.run('hold', g.cells);
  await g.started(1);
  const order: number[] = [];
  const calls = [1, 2, 3].map((n) => pool.run('echo', n).then((v) => order.push(v as number)));
  const stats = pool.stats();
  assert.equal(stats.queued, 3, 'one in the queue, two waiting for room');
  assert.equal(stats.inWorkers, 1);
  g.open();
  await holding;
  await Promise.all(calls);
  assert.deepEqual(order, [1, 2, 3]);
});

test('a caller waiting for room can be cancelled, and leaves no trace', async (t) => {
  const pool = await WorkerPool.start<GateTasks>({
    tasks: fixture('gate'),
    threads: 1,
    concurrentTasksPerWorker: 1,
    maxQueue: 0,
  });
  t.after(() => pool.destroy());
  const g = gate();
  const holding = pool.run('hold', g.cells);
  await g.started(1);
  const controller = new AbortController();
  const waiting = pool.run('mark', { cells: g.cells, index: 0 }, { signal: controller.signal });
  controller.abort();
  await assert.rejects(waiting, { name: 'AbortError' });
  assert.equal(pool.stats().queued, 0);
  g.open();
  await holding;
  assert.equal(g.ran(0), false);
});
