import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_TIMER_MS, startTimer } from '@tandem/workers/internal';
import { useFakeClock } from './fake-clock.ts';

test('a delay past 2³¹ ms fires at its due time, in hops Node honours', (t) => {
  const clock = useFakeClock(t);
  const thirtyDays = 30 * 24 * 3600 * 1000;
  let firedAt: number | undefined;
  startTimer(thirtyDays, () => {
    firedAt = clock.delays.length;
  });
  clock.advance(thirtyDays - 1);
  assert.equal(firedAt, undefined);
  clock.advance(thirtyDays);
  assert.notEqual(firedAt, undefined);
  assert.ok(
    clock.delays.every((ms) => ms <= MAX_TIMER_MS),
    `delays: ${clock.delays}`,
  );
  assert.equal(clock.delays.length, 2);
});

test('Infinity never fires and schedules nothing', (t) => {
  const clock = useFakeClock(t);
  let fired = false;
  const timer = startTimer(Number.POSITIVE_INFINITY, () => {
    fired = true;
  });
  assert.equal(clock.pending(), 0);
  timer.cancel();
  assert.equal(fired, false);
});

test('cancel stops a long timer between hops', (t) => {
  const clock = useFakeClock(t);
  let fired = false;
  const timer = startTimer(3 * MAX_TIMER_MS, () => {
    fired = true;
  });
  clock.advance(MAX_TIMER_MS + 5); // one hop taken, the next armed
  timer.cancel();
  clock.advance(10 * MAX_TIMER_MS);
  assert.equal(fired, false);
  assert.equal(clock.pending(), 0);
});

test('a short delay is one plain timer', (t) => {
  const clock = useFakeClock(t);
  let fired = 0;
  startTimer(5, () => fired++);
  clock.advance(5);
  assert.equal(fired, 1);
  assert.deepEqual(clock.delays, [5]);
});
