import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { type Clock, setClock } from '../src/clock.ts';
import { MAX_TIMER_MS, startTimer } from '../src/timer.ts';

/** A clock whose timers fire only when the test advances time; it records every delay asked. */
function fakeClock(t: TestContext) {
  let now = 0;
  let nextId = 1;
  const timers = new Map<number, { due: number; callback: () => void }>();
  const delays: number[] = [];
  const fake: Clock = {
    now: () => now,
    setTimeout(callback, ms) {
      delays.push(ms);
      const id = nextId++;
      timers.set(id, { due: now + ms, callback });
      return id as unknown as ReturnType<Clock['setTimeout']>;
    },
    clearTimeout(handle) {
      timers.delete(handle as unknown as number);
    },
  };
  const previous = setClock(fake);
  t.after(() => setClock(previous));
  return {
    delays,
    pending: () => timers.size,
    /** Moves time to `to`, firing due timers in order (a fired timer may arm another). */
    advance(to: number) {
      for (;;) {
        const due = [...timers].filter(([, x]) => x.due <= to).sort((a, b) => a[1].due - b[1].due);
        const first = due[0];
        if (first === undefined) break;
        timers.delete(first[0]);
        now = first[1].due;
        first[1].callback();
      }
      now = to;
    },
  };
}

test('a delay past 2³¹ ms fires at its due time, in hops Node honours', (t) => {
  const clock = fakeClock(t);
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
  const clock = fakeClock(t);
  let fired = false;
  const timer = startTimer(Number.POSITIVE_INFINITY, () => {
    fired = true;
  });
  assert.equal(clock.pending(), 0);
  timer.cancel();
  assert.equal(fired, false);
});

test('cancel stops a long timer between hops', (t) => {
  const clock = fakeClock(t);
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
  const clock = fakeClock(t);
  let fired = 0;
  startTimer(5, () => fired++);
  clock.advance(5);
  assert.equal(fired, 1);
  assert.deepEqual(clock.delays, [5]);
});
