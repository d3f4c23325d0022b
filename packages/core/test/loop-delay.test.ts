// The loop-delay monitor, with no wall-clock window: the arithmetic is checked on given
// numbers, and the real histogram only against a block measured on the same monotonic clock
// (a lower bound that load can only raise), waiting for samples instead of sleeping.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { LoopDelayMonitor, netOfInterval } from '../src/diagnostics/loop-delay.ts';

/** Yields to the loop until `monitor` has more than `count` samples (the test timeout bounds it). */
async function untilSampled(monitor: LoopDelayMonitor, count: number): Promise<void> {
  while (monitor.snapshot().count <= count) await nextTurn();
}

test('the sampling interval is taken off, never below zero', () => {
  const raw = { count: 4, p50: 10.5, p99: 85, max: 90, mean: 30 };
  assert.deepEqual(netOfInterval(raw, 10), { count: 4, p50: 0.5, p99: 75, max: 80, mean: 20 });
  assert.deepEqual(netOfInterval({ count: 1, p50: 3, p99: 3, max: 3, mean: 3 }, 10), {
    count: 1,
    p50: 0,
    p99: 0,
    max: 0,
    mean: 0,
  });
  const empty = { count: 0, p50: 0, p99: 0, max: 0, mean: 0 };
  assert.deepEqual(netOfInterval(empty, 10), empty);
});

test('a blocked loop shows in the delay, at least as long as the block, net of the interval', async (t) => {
  const monitor = new LoopDelayMonitor(10);
  monitor.start();
  t.after(() => monitor.stop());
  await untilSampled(monitor, 0); // a sampling timer has fired: the next sample spans the block
  const before = monitor.snapshot().count;
  const start = performance.now();
  let blocked = 0;
  while (blocked < 60) blocked = performance.now() - start; // block the loop for 60 ms
  await untilSampled(monitor, before);
  // The sample taken after the block began before it: it spans at least `blocked` ms.
  const { max } = monitor.snapshot();
  assert.ok(max >= blocked - 10, `max ${max} ms after a block of ${blocked} ms`);
});

test('reset() starts a new window', async (t) => {
  const monitor = new LoopDelayMonitor(10);
  monitor.start();
  t.after(() => monitor.stop());
  await untilSampled(monitor, 0);
  monitor.reset();
  assert.equal(monitor.snapshot().count, 0);
});
