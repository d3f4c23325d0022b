import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type TaskSettledEvent, type TasksOf, WorkerPool } from '@tandem/workers';
import type crashTasks from './fixtures/crash.ts';
import type gateTasks from './fixtures/gate.ts';
import { fixture, gate } from './gate.ts';
import { isolated } from './isolated.ts';

test('onSettled: one event per task with its name and outcome: ok, error, cancelled, timeout, crashed', async (t) => {
  const pool = await WorkerPool.start<TasksOf<typeof gateTasks>>({
    tasks: fixture('gate'),
    threads: 1,
    concurrentTasksPerWorker: 4,
    grace: 50,
  });
  t.after(() => pool.destroy());
  const events: TaskSettledEvent[] = [];
  pool.onSettled((event) => events.push(event));

  assert.equal(await pool.run('echo', 1), 1);
  await assert.rejects(pool.run('mark', { cells: null as never, index: 0 }));

  const g = gate();
  const holding = pool.run('hold', g.cells);
  await g.started(1);
  const controller = new AbortController();
  const queued = pool.run('echo', 'never', { signal: controller.signal });
  controller.abort(new Error('gone'));
  await assert.rejects(queued, /gone/);
  g.open();
  await holding;

  await assert.rejects(
    pool.run('spinWithCheckpoints', gate().cells, { timeout: 20 }),
    (error: Error & { code?: string }) => error.code === 'ERR_TANDEM_TASK_TIMEOUT',
  );

  assert.deepEqual(
    events.map((e) => [e.task, e.outcome]),
    [
      ['echo', 'ok'],
      ['mark', 'error'],
      ['echo', 'cancelled'],
      ['hold', 'ok'],
      ['spinWithCheckpoints', 'timeout'],
    ],
  );
  const [, , cancelledInQueue, held, timedOut] = events as [
    TaskSettledEvent,
    TaskSettledEvent,
    TaskSettledEvent,
    TaskSettledEvent,
    TaskSettledEvent,
  ];
  assert.equal(cancelledInQueue.runMs, 0, 'never handed to a worker');
  assert.equal(cancelledInQueue.orphanMs, 0);
  assert.ok(held.runMs > 0 && held.orphanMs === 0);
  // It timed out while running and went on until its checkpoint saw the abort.
  assert.ok(timedOut.runMs >= 20, `ran ${timedOut.runMs} ms`);
  assert.ok(timedOut.orphanMs >= 0 && timedOut.orphanMs <= timedOut.runMs);
});

test('onSettled: a running task that ignores its abort is charged until its worker is ended', async (t) => {
  const pool = await WorkerPool.start<TasksOf<typeof gateTasks>>({
    tasks: fixture('gate'),
    threads: 1,
    grace: 100,
  });
  t.after(() => pool.destroy());
  const events: TaskSettledEvent[] = [];
  pool.onSettled((event) => events.push(event));
  const g = gate();
  const controller = new AbortController();
  const spinning = pool.run('spinForever', g.cells, { signal: controller.signal });
  await g.started(1);
  controller.abort(new Error('client left'));
  await assert.rejects(spinning, /client left/);
  assert.equal(events.length, 1);
  assert.equal(events[0]!.outcome, 'cancelled');
  assert.ok(events[0]!.orphanMs >= 100, `charged ${events[0]!.orphanMs} ms (grace 100)`);
});

test('onSettled: a worker crash is "crashed"; removing a listener stops it; a throwing listener reaches the process, not the pool', async (t) => {
  const pool = await WorkerPool.start<TasksOf<typeof crashTasks>>({
    tasks: fixture('crash'),
    threads: 1,
  });
  t.after(() => pool.destroy());
  const outcomes: string[] = [];
  const remove = pool.onSettled((event) => outcomes.push(event.outcome));
  await assert.rejects(pool.run('exitMidTask', 3), { code: 'ERR_TANDEM_WORKER_CRASHED' });
  assert.equal(await pool.run('ok', 7), 14);
  remove();
  remove(); // twice is harmless
  assert.equal(await pool.run('ok', 8), 16);
  assert.deepEqual(outcomes, ['crashed', 'ok']);
  assert.throws(() => pool.onSettled('nope' as never), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
});

test('onSettled: a listener that throws does not stop the task or the other listeners (child process)', async () => {
  const child = await isolated(fixture('throwing-listener-run'));
  assert.equal(child.status, 0, child.stderr);
  // The throw surfaces on the next tick: before or after the caller's await resumes, depending
  // on whether the answer arrived in a port event or a microtask.
  assert.deepEqual(child.result.sort(), ['ok', 'result:5', 'uncaught:listener bug']);
});

test('onSettled: listeners that submit tasks or destroy the pool from inside an event (child process)', async () => {
  const child = await isolated(fixture('reentrant-listener-run'));
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.result.first, 300);
  assert.equal(child.result.second, 500, 'every task submitted from a listener settled');
  assert.equal(child.result.queued + child.result.inWorkers, 0);
  assert.ok(child.result.fulfilled >= 1, 'the first task settled before the destroy');
  assert.deepEqual(child.result.codes, ['ERR_TANDEM_POOL_DESTROYED']);
});

test('estimateWait: 0 with an idle worker, then the held and queued work shared over the threads', async (t) => {
  const pool = await WorkerPool.start<TasksOf<typeof gateTasks>>({
    tasks: fixture('gate'),
    threads: 1,
    concurrentTasksPerWorker: 1,
  });
  t.after(() => pool.destroy());
  assert.equal(pool.estimateWait('echo'), 0);
  const g = gate();
  const holding = pool.run('hold', g.cells);
  await g.started(1);
  assert.ok(pool.estimateWait('echo') > 0, 'the held task counts');
  assert.equal(pool.stats().workersBusy, 1);
  const before = pool.estimateWait('echo');
  const queued = Array.from({ length: 10 }, (_, i) => pool.run('echo', i));
  assert.ok(pool.estimateWait('echo') > before, 'queued tasks count');
  g.open();
  await holding;
  await Promise.all(queued);
  assert.equal(pool.estimateWait('echo'), 0);
  assert.equal(pool.stats().workersBusy, 0);
  assert.throws(() => pool.estimateWait('ecko'), { code: 'ERR_TANDEM_UNKNOWN_TASK' });
  assert.throws(() => pool.estimateWait(42 as never), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
  await pool.close();
  assert.equal(pool.estimateWait('echo'), Number.POSITIVE_INFINITY, 'nothing will run any more');
});
