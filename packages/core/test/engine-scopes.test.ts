import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Engine, race, scope, timeout } from '@tandem/core';
import type cpu from './fixtures/cpu.ts';

const tasks = new URL('./fixtures/cpu.ts', import.meta.url);

/** Shared counters with the `spin` task; `started(n)` waits on Atomics, not on time. */
function counters() {
  const cells = new Int32Array(new SharedArrayBuffer(8));
  return {
    cells,
    async started(count: number) {
      for (let seen = Atomics.load(cells, 0); seen < count; seen = Atomics.load(cells, 0)) {
        const waiting = Atomics.waitAsync(cells, 0, seen);
        if (waiting.async) await waiting.value;
        else await nextTurn();
      }
    },
    stopped: () => Atomics.load(cells, 1),
  };
}

test('cancelling a scope cancels the CPU work it started, and the worker survives', async (t) => {
  const engine = await Engine.start<typeof cpu>({ tasks, threads: 2 });
  t.after(() => engine.close());
  const c = counters();
  await scope(async (s) => {
    s.spawn(() => engine.run('spin', c.cells));
    s.spawn(() => engine.run('spin', c.cells));
    await c.started(2);
    s.cancel();
  });
  assert.equal(c.stopped(), 2, 'both CPU loops stopped before the scope exited');
  assert.equal(engine.stats().pool.workersReplaced, 0);
  assert.equal(await engine.run('quick', 1), 2);
});

test('a scope timeout cancels its CPU work and raises TimeoutError from that scope', async (t) => {
  const engine = await Engine.start<typeof cpu>({ tasks, threads: 1 });
  t.after(() => engine.close());
  const c = counters();
  await assert.rejects(
    timeout(50, () => engine.run('spin', c.cells)),
    { code: 'ERR_TANDEM_TIMEOUT' },
  );
  assert.equal(c.stopped(), 1);
  assert.equal(engine.stats().pool.running, 0);
});

test('a failing CPU task cancels its CPU siblings; the group holds only the real error', async (t) => {
  const engine = await Engine.start<typeof cpu>({ tasks, threads: 2 });
  t.after(() => engine.close());
  const c = counters();
  const error = await scope(async (s) => {
    s.spawn(() => engine.run('spin', c.cells));
    await c.started(1);
    s.spawn(() => engine.run('fail', 'boom'));
  }).catch((e: unknown) => e);
  assert.equal((error as { code: string }).code, 'ERR_TANDEM_TASK_GROUP');
  const errors = (error as AggregateError).errors;
  assert.equal(errors.length, 1);
  assert.equal(errors[0].message, 'boom');
  assert.equal(c.stopped(), 1);
});

test('race between CPU tasks cancels the loser and waits for it to stop', async (t) => {
  const engine = await Engine.start<typeof cpu>({ tasks, threads: 2 });
  t.after(() => engine.close());
  const c = counters();
  const winner = await race([
    (signal) => engine.run('spin', c.cells, { signal }),
    async (signal) => {
      await c.started(1);
      return engine.run('quick', 41, { signal });
    },
  ]);
  assert.equal(winner, 42);
  assert.equal(c.stopped(), 1, 'the loser had stopped when race returned');
});

test('engine.tasks() shows a running CPU task under its scope', async (t) => {
  const engine = await Engine.start<typeof cpu>({ tasks, threads: 1 });
  t.after(() => engine.close());
  const c = counters();
  await engine.scope({ name: 'crawl' }, async (s) => {
    s.spawn(() => engine.run('spin', c.cells), { name: 'spinner' });
    await c.started(1);
    const [root] = engine.tasks().filter((node) => node.name === 'crawl');
    const spinner = root?.children.find((child) => child.name === 'spinner');
    const cpuNode = spinner?.children.find((child) => child.kind === 'cpu');
    assert.equal(cpuNode?.name, 'spin');
    assert.equal(cpuNode?.state, 'running');
    s.cancel();
  });
  assert.equal(engine.tasks().filter((node) => node.name === 'crawl').length, 0);
});

test('engine.map inside a scope is cancelled with the scope', async (t) => {
  const engine = await Engine.start<typeof cpu>({ tasks, threads: 1 });
  t.after(() => engine.close());
  const c = counters();
  await scope(async (s) => {
    s.spawn(() => engine.map('spin', [c.cells, c.cells, c.cells], { batch: 1 }));
    await c.started(1);
    s.cancel();
  });
  assert.equal(c.stopped(), Atomics.load(c.cells, 0), 'every started item stopped');
  // Batches that had not started may still sit in the worker, marked to be skipped: none runs.
  assert.equal(engine.stats().pool.running, 0);
});

test('an explicit signal to engine.run inside a scope joins the scope: its cancel still stops the task', {
  timeout: 30_000,
}, async (t) => {
  const engine = await Engine.start<typeof cpu>({ tasks, threads: 1 });
  t.after(() => engine.close());
  const c = counters();
  const request = new AbortController();
  t.after(() => request.abort()); // without the fix, only this would stop the task
  let scopeSignal: AbortSignal | undefined;
  let listenersBefore = 0;
  await scope(async (s) => {
    scopeSignal = s.signal;
    listenersBefore = getEventListeners(s.signal, 'abort').length;
    s.spawn(() => engine.run('spin', c.cells, { signal: request.signal }));
    await c.started(1);
    s.cancel();
  });
  assert.equal(c.stopped(), 1, 'the CPU loop stopped before the scope exited');
  assert.equal(getEventListeners(request.signal, 'abort').length, 0, 'unlinked from the caller');
  assert.ok(
    getEventListeners(scopeSignal!, 'abort').length <= listenersBefore,
    'unlinked from the scope',
  );
});

test("an explicit signal to engine.run inside a scope joins the scope's deadline", {
  timeout: 30_000,
}, async (t) => {
  const engine = await Engine.start<typeof cpu>({ tasks, threads: 1 });
  t.after(() => engine.close());
  const c = counters();
  const request = new AbortController();
  t.after(() => request.abort());
  await assert.rejects(
    timeout(50, () => engine.run('spin', c.cells, { signal: request.signal })),
    { code: 'ERR_TANDEM_TIMEOUT' },
  );
  assert.equal(c.stopped(), 1);
  assert.equal(getEventListeners(request.signal, 'abort').length, 0);
});

test("the caller's own signal still cancels engine.run inside a scope, and the scope goes on", async (t) => {
  const engine = await Engine.start<typeof cpu>({ tasks, threads: 1 });
  t.after(() => engine.close());
  const c = counters();
  const request = new AbortController();
  const reason = new Error('client went away');
  const value = await scope(async (s) => {
    const task = engine.run('spin', c.cells, { signal: request.signal });
    await c.started(1);
    request.abort(reason);
    await assert.rejects(task, (e) => e === reason);
    assert.equal(s.signal.aborted, false);
    return engine.run('quick', 1);
  });
  assert.equal(value, 2);
  assert.equal(c.stopped(), 1);
});

test('an explicit signal to engine.map inside a scope joins the scope', {
  timeout: 30_000,
}, async (t) => {
  const engine = await Engine.start<typeof cpu>({ tasks, threads: 1 });
  t.after(() => engine.close());
  const c = counters();
  const request = new AbortController();
  t.after(() => request.abort());
  await scope(async (s) => {
    s.spawn(() => engine.map('spin', [c.cells, c.cells], { batch: 1, signal: request.signal }));
    await c.started(1);
    s.cancel();
  });
  assert.equal(c.stopped(), Atomics.load(c.cells, 0), 'every started item stopped');
  assert.equal(engine.stats().pool.running, 0);
  assert.equal(getEventListeners(request.signal, 'abort').length, 0);
});
