import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { type TestContext, test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { type TasksOf, WorkerPool } from '@tandem/workers';
import { deferred, mapBatched } from '@tandem/workers/internal';
import type hostileTasks from './fixtures/hostile.ts';
import { fixture, gate } from './gate.ts';

type HostileTasks = TasksOf<typeof hostileTasks>;

const start = (extra = {}) =>
  WorkerPool.start<HostileTasks>({ tasks: fixture('hostile'), threads: 1, ...extra });

const counter = () => new Int32Array(new SharedArrayBuffer(4));

test('a task named `then` does not hang start, and runs', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  assert.ok(pool.taskNames.includes('then'));
  assert.equal(await pool.run('then', 1), 2);
});

test('a task that ends its worker after returning runs once and rejects with WORKER_CRASHED', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  const runs = counter();
  await assert.rejects(pool.run('exitAfterReturn', runs), {
    code: 'ERR_TANDEM_WORKER_CRASHED',
  });
  assert.equal(Atomics.load(runs, 0), 1);
  assert.equal(await pool.run('double', 4), 8, 'the pool goes on');
});

test('an item that cannot be cloned back runs once (batch of 1 through pool internals via map is in map-outcomes)', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  const runs = counter();
  await assert.rejects(pool.run('item', { value: 'bad', counter: runs }), {
    code: 'ERR_TANDEM_UNCLONEABLE_RESULT',
  });
  assert.equal(Atomics.load(runs, 0), 1);
  assert.equal(pool.stats().crashed, 0);
});

/** Resolves with the next event on the stray-error channel. */
function nextStrayError(t: TestContext): Promise<{ error: Error; threadId: number }> {
  const { promise, resolve } = deferred<{ error: Error; threadId: number }>();
  const listen = (event: unknown) => resolve(event as { error: Error; threadId: number });
  subscribe('tandem:stray-error', listen);
  t.after(() => unsubscribe('tandem:stray-error', listen));
  return promise;
}

test('a stray throw from a timer left by a returned task fails no one; it is reported and the worker retired', async (t) => {
  const pool = await start({ concurrentTasksPerWorker: 4 });
  t.after(() => pool.destroy());
  const reported = nextStrayError(t);
  const cells = new Int32Array(new SharedArrayBuffer(8));
  const innocent = pool.run('waitForStray', { cells });
  assert.equal(await pool.run('leaveThrowingTimer', { cells }), 'returned');
  assert.equal(await innocent, 'innocent');
  const event = await reported;
  assert.equal(event.error.message, 'stray, from a timer');
  assert.equal(pool.stats().strayErrors, 1);
  assert.equal(pool.stats().failed, 0);
  assert.equal(await pool.run('double', 5), 10, 'a fresh worker takes over');
});

test('an unhandled rejection left behind is a stray error too', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  let event: { error: Error } | undefined;
  void nextStrayError(t).then((e) => {
    event = e;
  });
  assert.equal(await pool.run('leaveRejection', null), 'returned');
  // An idle worker sleeps in Atomics.wait (Piscina's fast path) without turning its event
  // loop, so what a task left behind goes off when a later task lets the loop turn; that
  // task is innocent and must succeed.
  for (let i = 0; event === undefined && i < 100; i++) {
    assert.equal(await pool.run('turnLoop', i), i);
  }
  assert.equal(event?.error.message, 'stray rejection');
  assert.equal(pool.stats().failed, 0);
  assert.equal(await pool.run('double', 5), 10);
});

test('a throw from a timer of a task still running fails that task as crashed, not its neighbours', async (t) => {
  const pool = await WorkerPool.start({ tasks: fixture('crash'), threads: 1 });
  t.after(() => pool.destroy());
  await assert.rejects(pool.run('throwFromTimer', undefined), (error: Error & { code: string }) => {
    assert.equal(error.code, 'ERR_TANDEM_WORKER_CRASHED');
    assert.equal((error.cause as Error).message, 'thrown from a timer');
    return true;
  });
  assert.equal(await pool.run('ok', 2), 4);
});

test('an async task running beside one that ends the worker was interrupted, not to blame: it runs again', async (t) => {
  const pool = await start({ concurrentTasksPerWorker: 4 });
  t.after(() => pool.destroy());
  const g = gate();
  const holding = pool.run('holdAsync', g.cells);
  await g.started(1);
  await assert.rejects(pool.run('exit', 4), { code: 'ERR_TANDEM_WORKER_CRASHED', exitCode: 4 });
  await g.started(2);
  g.open();
  assert.equal(await holding, 'released');
  assert.equal(Atomics.load(g.cells, 1), 2, 'it ran twice: interrupted, then on the new worker');
  assert.deepEqual([pool.stats().crashed, pool.stats().workersReplaced], [1, 1]);
});

for (const hops of [0, 2]) {
  test(`an exit from a microtask ${hops} hops down what a task left, in a message of several, fails no neighbour`, async (t) => {
    const pool = await start({ concurrentTasksPerWorker: 8 });
    t.after(() => pool.destroy());
    const runs = counter();
    await pool.run('double', 0);
    // The first call goes alone to the idle worker; the next five share a message.
    const first = pool.run('double', 1);
    const culprit = pool.run('exitAfterHops', { counter: runs, hops });
    const calls = [pool.run('double', 2), pool.run('double', 3), culprit];
    calls.push(pool.run('double', 4), pool.run('double', 5));
    const outcomes = await Promise.allSettled([first, ...calls]);
    const shown = outcomes.map((o) => (o.status === 'fulfilled' ? o.value : o.reason.code));
    if (hops === 0) {
      // Left unmarked in the message (whose was it?), then alone: known, and never run again.
      assert.deepEqual(shown, [2, 4, 6, 'ERR_TANDEM_WORKER_CRASHED', 8, 10]);
      assert.equal(Atomics.load(runs, 0), 2, 'the culprit ran with the others, then alone');
    } else {
      // Two hops down, the message was answered first: every caller had its value.
      assert.deepEqual(shown, [2, 4, 6, 'returned', 8, 10]);
    }
    assert.ok(pool.stats().crashed <= 1);
  });
}

test("an exit from a value's getter as a message of several is posted blames no neighbour: each runs again alone, in order", async (t) => {
  const pool = await start({ concurrentTasksPerWorker: 8 });
  t.after(() => pool.destroy());
  const runs = counter();
  const log = new Int32Array(new SharedArrayBuffer(4 * 16));
  await pool.run('double', 0);
  const first = pool.run('double', 1);
  const logged = (value: number) => pool.run('logRun', { cells: log, value });
  const calls = [logged(1), logged(2), pool.run('exitWhenCloned', runs), logged(3), logged(4)];
  const outcomes = await Promise.allSettled([first, ...calls]);
  const shown = outcomes.map((o) => (o.status === 'fulfilled' ? o.value : o.reason.code));
  assert.deepEqual(shown, [2, 1, 2, 'ERR_TANDEM_WORKER_CRASHED', 3, 4]);
  // Whose getter ended it is unknown in the message of five; alone, the culprit is known.
  assert.equal(Atomics.load(runs, 0), 2, 'the culprit ran twice: with the others, then alone');
  assert.deepEqual([...log.subarray(1, 1 + Atomics.load(log, 0))], [1, 2, 3, 4, 1, 2, 3, 4]);
  assert.deepEqual([pool.stats().crashed, pool.stats().workersReplaced], [1, 2]);
});

test('a process.exit() that Node refuses (code 1.5) and the task catches marks no one', async (t) => {
  const pool = await start({ concurrentTasksPerWorker: 4 });
  t.after(() => pool.destroy());
  const g = gate();
  const careful = pool.run('refusedExitThenHold', g.cells);
  await g.started(1);
  await assert.rejects(pool.run('exit', 4), { code: 'ERR_TANDEM_WORKER_CRASHED', exitCode: 4 });
  await g.started(2);
  g.open();
  assert.equal(await careful, 'released', 'interrupted, not to blame: it ran again');
  assert.deepEqual([pool.stats().crashed, pool.stats().workersReplaced], [1, 1]);
});

for (const together of [true, false]) {
  test(`a task that ends its worker while a plain function's promise runs untraced beside it (${together ? 'one message' : 'two messages'}) is blamed alone`, async (t) => {
    const pool = await start({ concurrentTasksPerWorker: 4 });
    t.after(() => pool.destroy());
    const g = gate();
    let holding: Promise<unknown>;
    let exiting: Promise<unknown>;
    if (together) {
      // The first call goes alone to the idle worker; the next two share a message, and
      // holdPlain runs (and returns its promise) before exit is reached.
      await pool.run('double', 1);
      const first = pool.run('double', 2);
      holding = pool.run('holdPlain', g.cells);
      exiting = pool.run('exit', 5);
      assert.equal(await first, 4);
    } else {
      holding = pool.run('holdPlain', g.cells);
      await g.started(1);
      exiting = pool.run('exit', 5);
    }
    await assert.rejects(exiting, { code: 'ERR_TANDEM_WORKER_CRASHED', exitCode: 5 });
    await g.started(2);
    g.open();
    assert.equal(await holding, 'released', 'interrupted, not to blame: it ran again');
    assert.deepEqual([pool.stats().crashed, pool.stats().workersReplaced], [1, 1]);
  });
}

test('a transferred task waiting beside a crash rejects (its input went with the worker); one replacement', async (t) => {
  const pool = await start({ concurrentTasksPerWorker: 4 });
  t.after(() => pool.destroy());
  const g = gate();
  const holding = pool.run('holdAsync', g.cells);
  await g.started(1);
  const crash = pool.run('exit', 4);
  const bytes = new Uint8Array(1024).fill(1);
  const moved = pool.run('sumBuffer', bytes, { transfer: true });
  await null; // the worker is busy: the task is sent at the end of this job
  assert.equal(bytes.byteLength, 0, 'the buffer was moved');
  g.open();
  await assert.rejects(crash, { code: 'ERR_TANDEM_WORKER_CRASHED' });
  await assert.rejects(moved, { code: 'ERR_TANDEM_WORKER_CRASHED' });
  await holding.catch(() => {});
  assert.equal(await pool.run('double', 3), 6);
  assert.equal(pool.stats().workersReplaced, 1);
});

test('an input that only fails when posted (a MessagePort not transferred) is ERR_TANDEM_UNCLONEABLE_INPUT, not a crash', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  const { port1, port2 } = new MessageChannel();
  t.after(() => {
    port1.close();
    port2.close();
  });
  await assert.rejects(pool.run('double', { port: port1 } as never), {
    code: 'ERR_TANDEM_UNCLONEABLE_INPUT',
  });
  assert.equal(pool.stats().crashed, 0);
  assert.equal(pool.stats().workersReplaced, 0);
  assert.equal(await pool.run('double', 2), 4);
});

// They used to go through the promise's own `then`: a task resolved with what that `then`
// gave (42, 7), one that never called back left the task's slot `running` in the worker, and a
// subclass's `then` was asked twice (2 + 1 + 1).
const oddPromises = [
  ['answers', { status: 'fulfilled', value: 1 }],
  ['silent', { status: 'fulfilled', value: 1 }],
  ['subclass', { status: 'fulfilled', value: 2 }],
  ['constructorThrows', { status: 'rejected', message: 'constructor getter' }],
] as const;

const outcome = (settled: PromiseSettledResult<unknown>) =>
  settled.status === 'fulfilled'
    ? settled
    : { status: settled.status, message: (settled.reason as Error).message };

test('a task returning a promise with a lying then settles as `await` would take it', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  const settled = await Promise.allSettled(
    oddPromises.map(([kind]) => pool.run('returnsOddPromise', { value: 1, kind })),
  );
  assert.deepEqual(
    settled.map(outcome),
    oddPromises.map(([, expected]) => expected),
  );
  assert.equal(pool.stats().running + pool.stats().inWorkers, 0);
  assert.equal(pool.stats().crashed, 0);
});

test('map items returning promises with a lying then: each settles alone, in order', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  const inputs = oddPromises.map(([kind]) => ({ value: 1, kind }));
  const settled = (await mapBatched(pool, 'returnsOddPromise', [...inputs, ...inputs], {
    batch: 8,
    settle: true,
  })) as PromiseSettledResult<unknown>[];
  const expected = oddPromises.map(([, outcome]) => outcome);
  assert.deepEqual(settled.map(outcome), [...expected, ...expected]);
});

test('a task that returns a revoked Proxy runs once and rejects with ERR_TANDEM_UNCLONEABLE_RESULT', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  const runs = counter();
  await assert.rejects(pool.run('returnsRevokedProxy', runs), {
    code: 'ERR_TANDEM_UNCLONEABLE_RESULT',
  });
  assert.equal(Atomics.load(runs, 0), 1);
  assert.equal(pool.stats().crashed, 0);
});
