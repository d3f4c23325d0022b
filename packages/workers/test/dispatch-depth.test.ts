import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { type TasksOf, WorkerPool } from '@tandem/workers';
import { setClock as setSourceClock, systemClock } from '../src/clock.ts';
import { DispatchDepth, MAX_AUTO_DEPTH } from '../src/dispatch-depth.ts';
import type basic from './fixtures/basic.ts';
import { fixture } from './gate.ts';

/** A clock whose time moves only when the test says (sub-millisecond steps included). */
function manualClock(t: TestContext) {
  let now = 0;
  const previous = setSourceClock({ ...systemClock, now: () => now });
  t.after(() => setSourceClock(previous));
  return {
    tick(ms: number) {
      now += ms;
    },
  };
}

test("'auto' goes deep for tiny tasks and shallow for long ones", (t) => {
  const timers = manualClock(t);
  const depth = new DispatchDepth(2, 'auto');
  for (let i = 0; i < 200; i++) {
    timers.tick(0.005); // a completion every 5 µs: 10 µs of service per task on 2 threads
    depth.onCompletion(true);
  }
  assert.equal(depth.perWorker, MAX_AUTO_DEPTH);
  for (let i = 0; i < 200; i++) {
    timers.tick(0.05); // 100 µs of service: 1 ms of work is 10 tasks
    depth.onCompletion(true);
  }
  assert.equal(depth.perWorker, 11);
  for (let i = 0; i < 200; i++) {
    timers.tick(5); // a completion every 5 ms
    depth.onCompletion(true);
  }
  assert.equal(depth.perWorker, 2, 'one running, one waiting');
  assert.equal(depth.capacity, 4);
});

test('completions while the pool is not saturated do not move the depth', (t) => {
  const timers = manualClock(t);
  const depth = new DispatchDepth(1, 'auto');
  const before = depth.perWorker;
  for (let i = 0; i < 100; i++) {
    timers.tick(50); // a trickle of requests says nothing about service time
    depth.onCompletion(false);
  }
  assert.equal(depth.perWorker, before);
});

test('a fixed setting never moves', (t) => {
  const timers = manualClock(t);
  const depth = new DispatchDepth(3, 7);
  for (let i = 0; i < 100; i++) {
    timers.tick(0.001);
    depth.onCompletion(true);
  }
  assert.equal(depth.perWorker, 7);
  assert.equal(depth.capacity, 21);
});

test('a real pool running 3 ms tasks keeps only one waiting task per worker', async (t) => {
  const pool = await WorkerPool.start<TasksOf<typeof basic>>({
    tasks: fixture('basic'),
    threads: 1,
  });
  t.after(() => pool.destroy());
  await Promise.all(Array.from({ length: 40 }, () => pool.run('busy', 3)));
  assert.equal(pool.stats().depth, 2);
  assert.equal(pool.stats().concurrentTasksPerWorker, 'auto');
});
