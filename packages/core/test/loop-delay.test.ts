import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LoopDelayMonitor } from '@tandem/core';

test('a blocked loop shows in the delay, net of the sampling interval', async () => {
  const monitor = new LoopDelayMonitor(10);
  monitor.start();
  await sleep(30); // let a few samples land
  const until = performance.now() + 80;
  while (performance.now() < until); // block the loop for 80 ms
  await sleep(30);
  monitor.stop();
  const { max, count } = monitor.snapshot();
  assert.ok(count > 0);
  // The sampling timer was due within 10 ms of the block's start, so it fired >= 70 ms late.
  assert.ok(max >= 60, `max ${max} ms`);
});

test('reset() starts a new window', async () => {
  const monitor = new LoopDelayMonitor(10);
  monitor.start();
  const until = performance.now() + 50;
  while (performance.now() < until);
  await sleep(20);
  monitor.reset();
  assert.equal(monitor.snapshot().count, 0);
  monitor.stop();
});
