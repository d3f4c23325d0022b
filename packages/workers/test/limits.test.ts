import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { type Clock, type TasksOf, WorkerPool } from '@tandem/workers';
import { MAX_TIMER_MS, setClock, systemClock } from '@tandem/workers/internal';
import type gateTasks from './fixtures/gate.ts';
import type hostileTasks from './fixtures/hostile.ts';
import { fixture, gate } from './gate.ts';

const start = (extra = {}) =>
  WorkerPool.start<TasksOf<typeof hostileTasks>>({
    tasks: fixture('hostile'),
    threads: 1,
    ...extra,
  });

/** The real clock, recording every delay the pool asks for. */
function recordingClock(t: TestContext): number[] {
  const delays: number[] = [];
  const recording: Clock = {
    ...systemClock,
    setTimeout(callback, ms) {
      delays.push(ms);
      return systemClock.setTimeout(callback, ms);
    },
  };
  const previous = setClock(recording);
  t.after(() => setClock(previous));
  return delays;
}

test('Infinity and durations past 2^31 ms never fire early: no timer is asked for more than Node honours', async (t) => {
  const delays = recordingClock(t);
  const pool = await WorkerPool.start<TasksOf<typeof gateTasks>>({
    tasks: fixture('gate'),
    threads: 1,
    grace: Number.POSITIVE_INFINITY,
  });
  t.after(() => pool.destroy());
  const g = gate();
  const month = 30 * 24 * 3600 * 1000;
  const running = pool.run('hold', g.cells, {
    timeout: Number.POSITIVE_INFINITY,
    deadline: month,
  });
  await g.started(1);
  // Both timers are armed by now (the deadline at submit, the timeout at the start report
  // that came before the gate count); whatever they asked for must be within range.
  g.open();
  assert.equal(await running, 'released');
  assert.ok(delays.length > 0, 'the deadline armed a timer');
  assert.ok(
    delays.every((ms) => ms <= MAX_TIMER_MS),
    `delays asked: ${delays.join(', ')}`,
  );
  await pool.close({ timeout: Number.POSITIVE_INFINITY });
});

test('deadline still holds when timeout is also set', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  await assert.rejects(pool.run('spin', 60_000, { deadline: 50, timeout: 600_000 }), {
    code: 'ERR_TANDEM_TASK_TIMEOUT',
    kind: 'deadline',
  });
  await assert.rejects(pool.run('spin', 60_000, { deadline: 600_000, timeout: 50 }), {
    code: 'ERR_TANDEM_TASK_TIMEOUT',
    kind: 'timeout',
  });
});

test('absurd sizes are refused with ERR_TANDEM_OUT_OF_RANGE before anything starts', async () => {
  const tasks = fixture('hostile');
  for (const options of [
    { concurrentTasksPerWorker: 1e9 },
    { threads: 1e6 },
    { maxQueue: 2 ** 40 },
    { threads: Number.POSITIVE_INFINITY },
  ]) {
    await assert.rejects(WorkerPool.start({ tasks, ...options }), {
      code: 'ERR_TANDEM_OUT_OF_RANGE',
    });
  }
  for (const options of [
    { resourceLimits: 'x' },
    { resourceLimits: { maxOldGenerationSizeMb: 'big' } },
    { execArgv: 'x' },
    { execArgv: [1] },
    { startTimeout: 'soon' },
    { signal: {} },
  ]) {
    await assert.rejects(WorkerPool.start({ tasks, ...(options as object) }), {
      code: /^ERR_TANDEM_(INVALID_ARGUMENT|OUT_OF_RANGE)$/,
    });
  }
});

test('close() with a bad argument rejects that call only; a later close() closes the pool', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  await assert.rejects(pool.close({ timeout: -1 }), { code: 'ERR_TANDEM_OUT_OF_RANGE' });
  await assert.rejects(pool.close(null as never), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
  assert.equal(await pool.run('double', 2), 4, 'still open');
  await pool.close();
  await assert.rejects(pool.run('double', 2), { code: 'ERR_TANDEM_POOL_CLOSED' });
});

test('a Symbol or non-string task name, or null options, give coded errors', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  await assert.rejects(pool.run(Symbol('x') as never, 1 as never), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
  await assert.rejects(pool.run(42 as never, 1 as never), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
  await assert.rejects(pool.run('double', 1, { transfer: 'yes' as never }), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
  await assert.rejects(pool.run('double', 1, null as never), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
});
