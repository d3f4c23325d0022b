import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { type TasksOf, WorkerPool } from '@tandem/workers';
import { useFakeClock } from './fake-clock.ts';
import type gateTasks from './fixtures/gate.ts';
import { fixture, gate } from './gate.ts';

type GateTasks = TasksOf<typeof gateTasks>;

/** The process warnings emitted until the test ends. */
function collectWarnings(t: TestContext): Error[] {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  return warnings;
}

const start = (options: { grace?: number; concurrentTasksPerWorker?: number } = {}) =>
  WorkerPool.start<GateTasks>({
    tasks: fixture('gate'),
    threads: 1,
    concurrentTasksPerWorker: 1,
    ...options,
  });

test('a queued task that is cancelled never starts and rejects with signal.reason', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  const g = gate();
  const holding = pool.run('hold', g.cells);
  await g.started(1);
  const controller = new AbortController();
  const queued = pool.run('mark', { cells: g.cells, index: 0 }, { signal: controller.signal });
  const reason = new Error('changed my mind');
  controller.abort(reason);
  await assert.rejects(queued, (error) => error === reason);
  g.open();
  assert.equal(await holding, 'released');
  assert.equal(await pool.run('mark', { cells: g.cells, index: 1 }), 1);
  assert.equal(g.ran(0), false);
  assert.equal(pool.stats().cancelled, 1);
});

test('a task waiting inside a worker that is cancelled is skipped, never run', async (t) => {
  // With 4 tasks per worker, `mark` is handed to the busy worker and waits inside it.
  const pool = await start({ concurrentTasksPerWorker: 4 });
  t.after(() => pool.destroy());
  const g = gate();
  const holding = pool.run('hold', g.cells);
  await g.started(1);
  const controller = new AbortController();
  const waiting = pool.run('mark', { cells: g.cells, index: 0 }, { signal: controller.signal });
  await null; // the worker is busy: the task is sent at the end of this job
  assert.equal(pool.stats().inWorkers, 2);
  assert.equal(pool.stats().running, 1, 'one runs, the other waits inside the worker');
  controller.abort();
  await assert.rejects(waiting, { name: 'AbortError' });
  g.open();
  await holding;
  assert.equal(await pool.run('mark', { cells: g.cells, index: 1 }), 1);
  assert.equal(g.ran(0), false);
});

test('an already aborted signal rejects at once', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  await assert.rejects(pool.run('echo', 1, { signal: AbortSignal.abort(new Error('early')) }), {
    message: 'early',
  });
  assert.equal(pool.stats().completed, 0);
});

test('a running async task sees ctx.signal abort and the caller gets signal.reason', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  const g = gate();
  const controller = new AbortController();
  const running = pool.run('untilAborted', g.cells, { signal: controller.signal });
  await g.started(1);
  const reason = new Error('stop');
  controller.abort(reason);
  await assert.rejects(running, (error) => error === reason);
  // Cooperative: the same worker is still there and serves the next task.
  assert.equal(await pool.run('echo', 'next'), 'next');
  assert.equal(pool.stats().workersReplaced, 0);
});

test('a running sync loop stops at ctx.checkpoint() without losing its worker', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  const g = gate();
  const controller = new AbortController();
  const running = pool.run('spinWithCheckpoints', g.cells, { signal: controller.signal });
  await g.started(1);
  controller.abort(new Error('enough'));
  await assert.rejects(running, { message: 'enough' });
  assert.equal(await pool.run('echo', 'next'), 'next');
  assert.equal(pool.stats().workersReplaced, 0);
});

test('a running task that ignores its abort is terminated after grace; the worker is replaced and the queue goes on', async (t) => {
  const pool = await start({ grace: 20 });
  t.after(() => pool.destroy());
  const g = gate();
  const controller = new AbortController();
  const stuck = pool.run('spinForever', g.cells, { signal: controller.signal });
  await g.started(1);
  const next = pool.run('echo', 'after the stuck one');
  controller.abort(new Error('forced'));
  await assert.rejects(stuck, { message: 'forced' });
  assert.equal(await next, 'after the stuck one');
  assert.equal(pool.stats().workersReplaced, 1);
  assert.equal(pool.stats().threads, 1);
});

test('a dozen tasks in one worker that ignore their timeout end it once (no MaxListeners warning)', async (t) => {
  const pool = await start({ grace: 20, concurrentTasksPerWorker: 16 });
  t.after(() => pool.destroy());
  const warnings = collectWarnings(t);
  const g = gate();
  const deaf = Array.from({ length: 12 }, () => pool.run('ignoreAbort', g.cells, { timeout: 5 }));
  for (const outcome of await Promise.allSettled(deaf)) {
    assert.equal(outcome.status === 'rejected' && outcome.reason.code, 'ERR_TANDEM_TASK_TIMEOUT');
  }
  assert.equal(await pool.run('echo', 'next'), 'next');
  await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
  assert.deepEqual(
    warnings.map((warning) => warning.name),
    [],
  );
  assert.equal(pool.stats().workersReplaced, 1);
});

test('a task running beside one terminated after grace is interrupted, not blamed: it runs again', async (t) => {
  const pool = await start({ grace: 20, concurrentTasksPerWorker: 2 });
  t.after(() => pool.destroy());
  const g = gate();
  const beside = pool.run('awaitGate', g.cells);
  await g.started(1);
  const controller = new AbortController();
  const stuck = pool.run('spinForever', g.cells, { signal: controller.signal });
  await g.started(2);
  controller.abort(new Error('forced'));
  await assert.rejects(stuck, { message: 'forced' });
  await g.started(3); // the interrupted task, started again on the new worker
  g.open();
  assert.equal(await beside, 'opened');
  assert.equal(pool.stats().workersReplaced, 1);
  assert.equal(pool.stats().crashed, 0);
});

test('timeout counts from the start: time spent queued does not count', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  const g = gate();
  const holding = pool.run('hold', g.cells);
  await g.started(1);
  // Pool timers now fire only when the test moves time: the queued task waits "30 ms", far
  // past its 5 ms timeout, without a real sleep.
  const clock = useFakeClock(t);
  const queued = pool.run('echo', 'in time', { timeout: 5 });
  clock.advance(30);
  assert.equal(clock.pending(), 0, 'no timeout is armed while the task is queued');
  g.open();
  await holding;
  assert.equal(await queued, 'in time');
});

test('a task that ran past its timeout times out even when its answer reaches a busy loop before the timer', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  const g = gate();
  const running = pool.run('spinThenMark', { cells: g.cells, ms: 20 }, { timeout: 5 });
  // The loop is held until the task has finished: when it comes back, the start report and
  // the answer wait on its port, and no timer can have fired. The value must not win.
  Atomics.wait(g.cells, 2, 0, 30_000);
  await assert.rejects(running, { code: 'ERR_TANDEM_TASK_TIMEOUT', kind: 'timeout', timeout: 5 });
  assert.equal(pool.stats().cancelled, 1);
  assert.equal(pool.stats().completed, 0);
});

test('a task that finished within its timeout stands when the timer fires before its answer reaches a busy loop', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  const clock = useFakeClock(t); // the pool's timers fire only when the test moves time
  const g = gate();
  const running = pool.run('awaitGateThenMark', g.cells, { timeout: 50 });
  await g.started(1);
  while (clock.pending() === 0) await new Promise((resolve) => setImmediate(resolve)); // armed
  g.open();
  Atomics.wait(g.cells, 2, 0, 30_000); // the loop is held until the task has been answered
  clock.advance(clock.now() + 60); // the timer is due first; the answer waits on the port
  assert.equal(await running, 'opened');
  assert.deepEqual([pool.stats().completed, pool.stats().cancelled], [1, 0]);
});

test('a task that ran past its timeout and then threw, or ran past it after an await, times out as well', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  for (const [name, fail] of [
    ['spinThenMark', true],
    ['spinThenMarkAsync', false],
  ] as const) {
    const g = gate();
    const running = pool.run(name, { cells: g.cells, ms: 20, fail }, { timeout: 5 });
    Atomics.wait(g.cells, 2, 0, 30_000); // the loop is held until the task has finished
    await assert.rejects(running, { code: 'ERR_TANDEM_TASK_TIMEOUT', task: name, timeout: 5 });
  }
  assert.equal(pool.stats().cancelled, 2);
});

test('a task that ran past its timeout beside a running async one (its outcome goes early) times out', async (t) => {
  const pool = await start({ concurrentTasksPerWorker: 4 });
  t.after(() => pool.destroy());
  const g = gate();
  const alone = pool.run('echo', 'to the idle worker, alone');
  // These two share the next message: the async one still runs when the other has finished.
  const late = pool.run('spinThenMark', { cells: g.cells, ms: 20 }, { timeout: 5 });
  const beside = pool.run('awaitGate', g.cells);
  await new Promise((resolve) => setImmediate(resolve)); // the message is sent
  Atomics.wait(g.cells, 2, 0, 30_000);
  await assert.rejects(late, { code: 'ERR_TANDEM_TASK_TIMEOUT', timeout: 5 });
  g.open();
  assert.equal(await beside, 'opened');
  assert.equal(await alone, 'to the idle worker, alone');
});

test('timeout fires on a task that runs too long, with TaskTimeoutError', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  const g = gate();
  const running = pool.run('spinWithCheckpoints', g.cells, { timeout: 10 });
  await assert.rejects(running, { code: 'ERR_TANDEM_TASK_TIMEOUT', kind: 'timeout', timeout: 10 });
});

test('deadline counts queue time: a task still queued at its deadline rejects and never runs', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  const g = gate();
  const holding = pool.run('hold', g.cells);
  await g.started(1);
  const late = pool.run('mark', { cells: g.cells, index: 0 }, { deadline: 10 });
  await assert.rejects(late, { code: 'ERR_TANDEM_TASK_TIMEOUT', kind: 'deadline' });
  g.open();
  await holding;
  await pool.run('echo', 'flush');
  assert.equal(g.ran(0), false);
});

test('one signal shared by many tasks cancels them all, with one listener (no MaxListeners warning)', async (t) => {
  const pool = await start({ concurrentTasksPerWorker: 4 });
  t.after(() => pool.destroy());
  const warnings = collectWarnings(t);
  const g = gate();
  const holding = pool.run('hold', g.cells);
  await g.started(1);
  const controller = new AbortController();
  const reason = new Error('all of them');
  const calls = Array.from({ length: 50 }, (_, i) =>
    pool.run('mark', { cells: g.cells, index: i % 8 }, { signal: controller.signal }),
  );
  controller.abort(reason);
  const results = await Promise.allSettled(calls);
  assert.ok(results.every((r) => r.status === 'rejected' && r.reason === reason));
  g.open();
  await holding;
  await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
  assert.deepEqual(
    warnings.filter((w) => w.name === 'MaxListenersExceededWarning'),
    [],
  );
});
