import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type TasksOf, WorkerPool } from '@tandem/workers';
import type gateTasks from './fixtures/gate.ts';
import { fixture, gate } from './gate.ts';

type GateTasks = TasksOf<typeof gateTasks>;

const start = () =>
  WorkerPool.start<GateTasks>({ tasks: fixture('gate'), threads: 1, concurrentTasksPerWorker: 1 });

test('close() lets running and queued work finish, then refuses new work', async () => {
  const pool = await start();
  const g = gate();
  const holding = pool.run('hold', g.cells);
  await g.started(1);
  const queued = pool.run('echo', 'queued before close');
  const closing = pool.close();
  await assert.rejects(pool.run('echo', 'too late'), { code: 'ERR_TANDEM_POOL_CLOSED' });
  g.open();
  assert.equal(await holding, 'released');
  assert.equal(await queued, 'queued before close');
  await closing;
  assert.equal(pool.stats().threads, 0);
});

test('close() is idempotent and works as Symbol.asyncDispose', async () => {
  let outer: WorkerPool<GateTasks> | undefined;
  {
    await using pool = await start();
    outer = pool;
    assert.equal(await pool.run('echo', 1), 1);
  }
  await outer.close();
  await outer.destroy();
  assert.equal(outer.stats().threads, 0);
});

test('close({ timeout }) destroys what did not finish in time with ERR_TANDEM_POOL_DESTROYED', async () => {
  const pool = await start();
  const g = gate();
  const stuck = pool.run('spinForever', g.cells);
  const queued = pool.run('echo', 'never');
  const outcomes = Promise.all([
    assert.rejects(stuck, { code: 'ERR_TANDEM_POOL_DESTROYED' }),
    assert.rejects(queued, { code: 'ERR_TANDEM_POOL_DESTROYED' }),
  ]);
  await g.started(1);
  await pool.close({ timeout: 10 });
  await outcomes;
});

test('destroy() rejects running and queued tasks with ERR_TANDEM_POOL_DESTROYED', async () => {
  const pool = await start();
  const g = gate();
  const holding = pool.run('hold', g.cells);
  await g.started(1);
  const queued = pool.run('echo', 'queued');
  const outcomes = Promise.all([
    assert.rejects(holding, { code: 'ERR_TANDEM_POOL_DESTROYED' }),
    assert.rejects(queued, { code: 'ERR_TANDEM_POOL_DESTROYED' }),
  ]);
  await Promise.all([pool.destroy(), pool.destroy()]);
  await outcomes;
  await assert.rejects(pool.run('echo', 1), { code: 'ERR_TANDEM_POOL_CLOSED' });
});
