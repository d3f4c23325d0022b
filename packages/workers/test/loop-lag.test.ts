import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { HELD_MS } from '../src/cost-model.ts';
import { LoopLag, MAX_HELD_MS } from '../src/loop-lag.ts';

test('loop lag: a worker is given twice the longest turn of the loop to hold, within bounds', async () => {
  const lag = new LoopLag();
  lag.start();
  try {
    assert.equal(lag.heldMs(performance.now()), HELD_MS, 'before a window has passed: the default');
    await delay(30); // the monitor's timer runs once before it can see a late turn
    const start = performance.now();
    // One turn of the loop that lasts 80 ms: the lag monitor's timer fires ≥ 70 ms late.
    while (performance.now() - start < 80);
    await delay(25); // let the timer fire and record how late it was
    const held = lag.heldMs(performance.now() + 100);
    assert.ok(held >= 2 * 60, `held ${held} ms after an 80 ms turn`);
    assert.ok(held <= MAX_HELD_MS);
    // A turn longer than the cap is held to the cap.
    await delay(30);
    const long = performance.now();
    while (performance.now() - long < MAX_HELD_MS);
    await delay(25);
    assert.equal(lag.heldMs(performance.now() + 200), MAX_HELD_MS);
  } finally {
    lag.stop();
  }
});
