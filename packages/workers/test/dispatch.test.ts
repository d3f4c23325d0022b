import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { type TasksOf, WorkerPool } from '@tandem/workers';
import { Balancer, type Dispatch } from '../src/balancer.ts';
import { CostModel, MIN_COST_MS, UNKNOWN_COST_MS } from '../src/cost-model.ts';
import type basic from './fixtures/basic.ts';
import type gateTasks from './fixtures/gate.ts';
import { fixture, gate } from './gate.ts';

type GateTasks = TasksOf<typeof gateTasks>;

/**
 * One worker held by `hold` until the test opens the gate, with room behind it for eight
 * tasks whatever their measured cost (a fixed depth).
 */
async function blockedPool(t: TestContext) {
  const pool = await WorkerPool.start<GateTasks>({
    tasks: fixture('gate'),
    threads: 1,
    concurrentTasksPerWorker: 8,
  });
  t.after(() => pool.destroy());
  const g = gate();
  const holding = pool.run('hold', g.cells);
  await g.started(1);
  return { pool, g, holding };
}

test('the cost model: a guess until the first answer, which replaces it; cheaper samples count more', () => {
  const costs = new CostModel();
  assert.equal(costs.estimate('f'), UNKNOWN_COST_MS);
  costs.observe('f', 40, 1);
  assert.equal(costs.estimate('f'), 40, 'the first sample replaces the guess');
  costs.observe('f', 0.01, 1);
  assert.ok(costs.estimate('f') <= 20.01, 'one cheaper sample halves the distance');
  for (let i = 0; i < 30; i++) costs.observe('f', 0.01, 1);
  assert.ok(costs.estimate('f') < 0.02, 'a name that got cheap looks cheap within dozens');
  costs.observe('f', 100, 1);
  assert.ok(costs.estimate('f') < 11, 'one long task does not make it look long');
  costs.observe('g', 0, 4);
  assert.equal(costs.estimate('g'), MIN_COST_MS, 'nothing is free: the messaging costs too');
  costs.observe('h', 8, 4);
  assert.equal(costs.estimate('h'), 2, 'a batch is per item');
  costs.observe('h', 5, 0);
  assert.equal(costs.estimate('h'), 2, 'an empty batch teaches nothing');
});

test('the balancer: tasks taken back from a message are counted out of its worker once', () => {
  const balancer = new Balancer(false);
  balancer.ready(7);
  const dispatch: Dispatch = {
    records: [{}, {}, {}, {}] as never,
    slots: Int32Array.of(0, 1, 2, 3),
    cost: 4,
    held: 4,
    sentAt: 0,
    worker: 0,
  };
  assert.equal(balancer.place(dispatch), 7);
  const held = () => {
    const { tasks, ms } = balancer.lightest()!;
    return { tasks, ms };
  };
  assert.deepEqual(held(), { tasks: 4, ms: 4 });
  balancer.shrink(dispatch, 2, 2); // two taken back before the worker reached them
  assert.deepEqual(held(), { tasks: 2, ms: 2 });
  balancer.answered(dispatch);
  assert.deepEqual(held(), { tasks: 0, ms: 0 });
  assert.equal(balancer.busyBesideIdle(), undefined, 'one worker, idle: nothing to take back');
});

test('a lone run() in an idle pool is sent at once, alone', async (t) => {
  const pool = await WorkerPool.start<TasksOf<typeof basic>>({
    tasks: fixture('basic'),
    threads: 1,
  });
  t.after(() => pool.destroy());
  const running = pool.run('echo', 1);
  assert.equal(pool.stats().inWorkers, 1, 'handed over before run() returned');
  assert.equal(await running, 1);
  assert.equal(pool.stats().messages, 1);
});

test('run() calls issued together travel together and each gets its own result', async (t) => {
  const pool = await WorkerPool.start<TasksOf<typeof basic>>({
    tasks: fixture('basic'),
    threads: 1,
  });
  t.after(() => pool.destroy());
  await pool.run('echo', 0); // teaches the pool that echo is cheap
  const before = pool.stats().messages;
  const results = await Promise.all(Array.from({ length: 2000 }, (_, i) => pool.run('echo', i)));
  assert.deepEqual(
    results,
    Array.from({ length: 2000 }, (_, i) => i),
  );
  const messages = pool.stats().messages - before;
  assert.ok(messages <= 40, `2,000 tasks in ${messages} messages`);
});

test('run() calls of different names issued together travel together, each its own task, result and error', async (t) => {
  const pool = await WorkerPool.start<TasksOf<typeof basic>>({
    tasks: fixture('basic'),
    threads: 1,
  });
  t.after(() => pool.destroy());
  // Teaches the pool that all three are cheap (a name never seen is guessed at 1 ms, and a
  // guess that dear does not join a cheap message).
  await Promise.allSettled([
    pool.run('echo', 0),
    pool.run('add', { a: 0, b: 0 }),
    pool.run('returnsFunction', undefined),
  ]);
  const before = pool.stats().messages;
  const calls = Array.from({ length: 3000 }, (_, i) =>
    i % 3 === 0
      ? pool.run('echo', i)
      : i % 3 === 1
        ? pool.run('add', { a: i, b: 1 })
        : pool.run('returnsFunction', undefined),
  );
  const outcomes = await Promise.allSettled(calls);
  for (const [i, outcome] of outcomes.entries()) {
    if (i % 3 === 2) {
      assert.equal(outcome.status, 'rejected', `call ${i}`);
      const error = (outcome as PromiseRejectedResult).reason;
      assert.equal(error.code, 'ERR_TANDEM_UNCLONEABLE_RESULT', `call ${i}`);
      assert.equal(error.task, 'returnsFunction', `call ${i}`);
    } else {
      assert.deepEqual(outcome, { status: 'fulfilled', value: i % 3 === 0 ? i : i + 1 });
    }
  }
  // One message per task would be 3,000. Messages carry fewer than the 256 a message may
  // hold: a task whose result is refused costs what building its error costs (measured, as
  // every task's time is), so its name is the dearest, and a message's work budget is
  // counted from its first task's name (60–81 messages in runs of this test).
  const messages = pool.stats().messages - before;
  assert.ok(messages <= 150, `3,000 tasks of 3 names in ${messages} messages`);
});

test('in a message of several names, each task keeps its own signal: the cancelled ones are skipped', async (t) => {
  const { pool, g, holding } = await blockedPool(t);
  const controllers = [0, 1, 2, 3].map(() => new AbortController());
  const calls = controllers.map((controller, index) =>
    index % 2 === 0
      ? pool.run('mark', { cells: g.cells, index }, { signal: controller.signal })
      : pool.run('echo', index, { signal: controller.signal }),
  );
  await null; // sent at the end of the job that issued them, as one message behind `hold`
  assert.equal(pool.stats().inWorkers, 5);
  assert.equal(pool.stats().messages, 2);
  const reasons = [new Error('not mark 2'), new Error('not echo 3')];
  controllers[2]!.abort(reasons[0]);
  controllers[3]!.abort(reasons[1]);
  await assert.rejects(calls[2]!, (error) => error === reasons[0]);
  await assert.rejects(calls[3]!, (error) => error === reasons[1]);
  g.open();
  assert.equal(await holding, 'released');
  assert.deepEqual(await Promise.all([calls[0], calls[1]]), [0, 1]);
  assert.equal(g.ran(2), false, 'the cancelled mark never ran');
  assert.equal(pool.stats().inWorkers, 0);
});

test('a fixed concurrentTasksPerWorker of 1 sends one task per message', async (t) => {
  const pool = await WorkerPool.start<TasksOf<typeof basic>>({
    tasks: fixture('basic'),
    threads: 1,
    concurrentTasksPerWorker: 1,
  });
  t.after(() => pool.destroy());
  await Promise.all(Array.from({ length: 50 }, (_, i) => pool.run('echo', i)));
  assert.equal(pool.stats().messages, 50);
});

test('in a message of many, each task keeps its own signal: a cancelled one is skipped, its neighbours run', async (t) => {
  const { pool, g, holding } = await blockedPool(t);
  const controllers = [0, 1, 2, 3].map(() => new AbortController());
  const marks = controllers.map((controller, index) =>
    pool.run('mark', { cells: g.cells, index }, { signal: controller.signal }),
  );
  await null; // sent at the end of the job that issued them, as one message behind `hold`
  assert.equal(pool.stats().inWorkers, 5);
  const reason = new Error('not this one');
  controllers[2]!.abort(reason);
  await assert.rejects(marks[2]!, (error) => error === reason);
  g.open();
  assert.equal(await holding, 'released');
  assert.deepEqual(await Promise.all([marks[0], marks[1], marks[3]]), [0, 1, 3]);
  assert.equal(g.ran(2), false, 'the cancelled task never ran');
});

test('an idle worker takes the tasks waiting behind a blocked one: they finish while it is still blocked', async (t) => {
  const pool = await WorkerPool.start<GateTasks>({ tasks: fixture('gate'), threads: 2 });
  t.after(() => pool.destroy());
  // Twice on one pool: what was taken back must not be counted out of its worker twice.
  for (let round = 1; round <= 2; round++) {
    const g = gate();
    const holding = pool.run('hold', g.cells);
    await g.started(1);
    const marks = Array.from({ length: 8 }, (_, index) =>
      pool.run('mark', { cells: g.cells, index }),
    );
    // The gate stays closed: any task stuck behind `hold` would never finish.
    assert.deepEqual(
      await Promise.all(marks),
      Array.from({ length: 8 }, (_, i) => i),
    );
    // Round 1 must take some back; by round 2 the pool knows marks are cheap and hold is not.
    if (round === 1) assert.ok(pool.stats().stolen >= 1, 'some were taken back');
    g.open();
    assert.equal(await holding, 'released');
    assert.equal(pool.stats().inWorkers, 0);
  }
});

test('a task whose large input is still arriving in its worker is not taken back by an idle one', async (t) => {
  const pool = await WorkerPool.start<TasksOf<typeof basic>>({
    tasks: fixture('basic'),
    threads: 2,
  });
  t.after(() => pool.destroy());
  // Tens of ms to copy into the worker, which runs nothing meanwhile; the other worker answers
  // `noop` and sits idle beside it. Taking the big one back (it is unclaimed, and older than
  // STEAL_AFTER_MS) would send it to the idle worker, where it arrives as slowly: the two
  // would pass it to and fro for ever (found by the log-analytics bench, with 1 MiB strings).
  const bytes = new Uint8Array(48 * 2 ** 20).fill(1);
  const big = pool.run('sum', bytes, { deadline: 30_000 });
  await pool.run('noop', undefined);
  assert.deepEqual(await big, { total: bytes.length, length: bytes.length });
  assert.equal(pool.stats().stolen, 0);
  assert.equal(pool.stats().messages, 2);
});

test('a message of many that cannot be posted is split: only the task that cannot travel fails', async (t) => {
  const { pool, g, holding } = await blockedPool(t);
  const { port1, port2 } = new MessageChannel();
  // Closing one end closes both (port2 loses its methods below).
  t.after(() => port1.close());
  // A host object dressed as a plain one passes the pre-check; postMessage refuses it.
  Object.setPrototypeOf(port2, Object.prototype);
  const good = [pool.run('echo', 'a'), pool.run('echo', 'b')];
  const bad = assert.rejects(pool.run('echo', { port: port2 } as never), {
    code: 'ERR_TANDEM_UNCLONEABLE_INPUT',
  });
  const after = pool.run('echo', 'c');
  g.open();
  await holding;
  await bad;
  assert.deepEqual(await Promise.all([...good, after]), ['a', 'b', 'c']);
  assert.equal(pool.stats().crashed, 0);
});

test("'auto' keeps two 3 ms tasks per worker: one runs, one waits", async (t) => {
  const pool = await WorkerPool.start<TasksOf<typeof basic>>({
    tasks: fixture('basic'),
    threads: 1,
  });
  t.after(() => pool.destroy());
  await Promise.all(Array.from({ length: 40 }, () => pool.run('busy', 3)));
  assert.equal(pool.stats().depth, 2);
  assert.equal(pool.stats().concurrentTasksPerWorker, 'auto');
});
