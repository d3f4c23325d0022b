import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registerError, type TasksOf, WorkerPool } from '@tandem/workers';
import type errorTasks from './fixtures/errors.ts';
import { QuotaError } from './fixtures/errors.ts';
import type gateTasks from './fixtures/gate.ts';
import { fixture, gate } from './gate.ts';

type GateTasks = TasksOf<typeof gateTasks>;
type ErrorTasks = TasksOf<typeof errorTasks>;

registerError('E_QUOTA', QuotaError);

/** One worker that runs one task at a time, and a queue of `maxQueue`: room runs out at once. */
function startOneAtATime(maxQueue: number, onFull?: 'reject') {
  return WorkerPool.start<GateTasks>({
    tasks: fixture('gate'),
    threads: 1,
    concurrentTasksPerWorker: 1,
    maxQueue,
    ...(onFull && { onFull }),
  });
}

test("a full queue with onFull: 'reject' refuses with ERR_TANDEM_QUEUE_FULL and keeps what it has", async (t) => {
  const pool = await startOneAtATime(2, 'reject');
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
  const pool = await startOneAtATime(1);
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
  const pool = await startOneAtATime(0);
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

test('callers waiting for room keep their order with or without options, and one cancelled among them leaves alone', async (t) => {
  const pool = await startOneAtATime(0);
  t.after(() => pool.destroy());
  const settled: string[] = [];
  pool.onSettled((event) => settled.push(`${event.task}:${event.outcome}`));
  const g = gate();
  const holding = pool.run('hold', g.cells);
  await g.started(1);
  const controller = new AbortController();
  const order: number[] = [];
  const ran = (p: Promise<unknown>) => p.then((v) => order.push(v as number));
  // Calls with no option wait as bare calls, the others as records (task-record.ts): one line.
  const calls = [
    ran(pool.run('echo', 1)),
    pool.run('echo', 2, { signal: controller.signal }),
    ran(pool.run('echo', 3, { timeout: 60_000 })),
    ran(pool.run('echo', 4)),
    ran(pool.run('echo', 5, { deadline: 60_000 })),
    ran(pool.run('echo', 6)),
  ];
  assert.equal(pool.stats().queued, 6);
  controller.abort();
  await assert.rejects(calls[1]!, { name: 'AbortError' });
  assert.equal(pool.stats().queued, 5);
  g.open();
  await holding;
  await Promise.all([calls[0], ...calls.slice(2)]);
  assert.deepEqual(order, [1, 3, 4, 5, 6]);
  assert.equal(settled.length, 7, 'one event per task, the cancelled one included');
  assert.equal(settled.filter((s) => s === 'echo:cancelled').length, 1);
  assert.equal(pool.stats().completed, 6);
});

test('destroy settles every caller still waiting for room, with or without options', async () => {
  const pool = await startOneAtATime(1);
  const settled: string[] = [];
  pool.onSettled((event) => settled.push(event.outcome));
  const g = gate();
  const holding = pool.run('hold', g.cells);
  await g.started(1);
  const calls = [
    pool.run('echo', 1),
    pool.run('echo', 2),
    pool.run('echo', 3, { timeout: 60_000 }),
    pool.run('echo', 4),
  ];
  assert.equal(pool.stats().queued, 4, 'one queued, three waiting for room');
  const outcomes = Promise.allSettled([holding, ...calls]);
  await pool.destroy();
  for (const outcome of await outcomes) {
    assert.equal(outcome.status, 'rejected');
    assert.equal((outcome as PromiseRejectedResult).reason.code, 'ERR_TANDEM_POOL_DESTROYED');
  }
  assert.equal(settled.length, 5);
});

test('close waits for callers still waiting for room, then ends', async () => {
  const pool = await startOneAtATime(0);
  const g = gate();
  const holding = pool.run('hold', g.cells);
  await g.started(1);
  const calls = Array.from({ length: 50 }, (_, i) => pool.run('echo', i));
  let closed = false;
  const closing = pool.close().then(() => {
    closed = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(closed, false);
  g.open();
  await holding;
  assert.deepEqual(
    await Promise.all(calls),
    Array.from({ length: 50 }, (_, i) => i),
  );
  await closing;
  assert.equal(pool.stats().threads, 0);
});

for (const names of [['quotaEvery'], ['quotaEvery', 'quotaEveryToo']] as const) {
  test(`a burst of 20,000 calls of ${names.length} name(s) waiting for room: each gets its own value or its own error, in order, across rows of waiting calls`, async (t) => {
    const pool = await WorkerPool.start<ErrorTasks>({ tasks: fixture('errors'), threads: 1 });
    t.after(() => pool.destroy());
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    t.after(() => process.off('unhandledRejection', onUnhandled));
    const every = 7;
    // A call with an option among them (it waits as a record), and a block longer than a row of
    // waiting calls (8,192): the line holds records and rows in turn.
    const calls = Array.from({ length: 20_000 }, (_, n) =>
      n === 3_000 || n === 15_000
        ? pool.run(names[n % names.length]!, { n, every }, { timeout: 60_000 })
        : pool.run(names[n % names.length]!, { n, every }),
    );
    assert.ok(pool.stats().queued > 19_000, 'most of the burst waits for room');
    const outcomes = await Promise.allSettled(calls);
    let lastOrder = -1;
    for (const [n, outcome] of outcomes.entries()) {
      if (n % every === 0) {
        assert.equal(outcome.status, 'rejected', `call ${n}`);
        const error = (outcome as PromiseRejectedResult).reason;
        assert.ok(error instanceof QuotaError, `call ${n}: ${error}`);
        assert.equal(error.limit, n);
        continue;
      }
      assert.equal(outcome.status, 'fulfilled', `call ${n}`);
      const [value, order] = (outcome as PromiseFulfilledResult<[number, number]>).value;
      assert.equal(value, n);
      assert.ok(order > lastOrder, `call ${n} ran after the calls made before it`);
      lastOrder = order;
    }
    const stats = pool.stats();
    assert.equal(stats.queued, 0);
    assert.equal(stats.failed, Math.ceil(20_000 / every));
    assert.equal(stats.completed, 20_000 - Math.ceil(20_000 / every));
    // Unhandled rejections are reported after the microtasks of the turn that made them.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled, []);
    // Two names travel together as one name does (they would go one per message otherwise).
    assert.ok(stats.messages < 1_000, `${stats.messages} messages`);
  });
}

test('destroy in the middle of a burst settles every call still waiting in rows', async () => {
  const pool = await WorkerPool.start<ErrorTasks>({ tasks: fixture('errors'), threads: 1 });
  const calls = Array.from({ length: 20_000 }, (_, n) =>
    pool.run('quotaEvery', { n: n + 1, every: 1_000_000 }),
  );
  const outcomes = Promise.allSettled(calls);
  // Once the first answer is in, most of the burst still waits.
  await calls[0];
  await pool.destroy();
  let destroyed = 0;
  for (const outcome of await outcomes) {
    if (outcome.status === 'fulfilled') continue;
    assert.equal(outcome.reason.code, 'ERR_TANDEM_POOL_DESTROYED');
    destroyed++;
  }
  assert.ok(destroyed > 10_000, `${destroyed} calls were still waiting`);
  assert.equal(pool.stats().queued, 0);
});
