// A clock whose timers fire only when the test advances time, and which records every delay
// asked of it. Like Node's setTimeout it fires a delay past 2³¹ − 1 ms, NaN or below 1 ms after
// 1 ms, so a long delay that was not chained shows up as an early fire. Adapted from
// the timer tests. Shared by both packages' tests.
import type { TestContext } from 'node:test';
import type { Clock } from '@tandem/workers';
import { MAX_TIMER_MS, setClock } from '@tandem/workers/internal';

export interface FakeClock {
  /** Every delay passed to `setTimeout`, in order. */
  readonly delays: number[];
  /** The clock's time now. */
  now(): number;
  /** Timers armed and not yet fired or cleared. */
  pending(): number;
  /**
   * Moves time to `to`, firing due timers in order (a fired timer may arm another), each at
   * its due time, or at once if it is already overdue.
   */
  advance(to: number): void;
  /**
   * Moves time forward by `ms` without firing anything, as a loop blocked for `ms` would see
   * it; the next `advance()` fires what became overdue.
   */
  block(ms: number): void;
}

/** Installs a fake clock starting at 0; the previous clock is restored when the test ends. */
export function useFakeClock(t: TestContext): FakeClock {
  let now = 0;
  let nextId = 1;
  const timers = new Map<number, { due: number; callback: () => void }>();
  const delays: number[] = [];
  const fake: Clock = {
    now: () => now,
    setTimeout(callback, ms) {
      delays.push(ms);
      const id = nextId++;
      const effective = ms >= 1 && ms <= MAX_TIMER_MS ? ms : 1;
      timers.set(id, { due: now + effective, callback });
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
    now: () => now,
    pending: () => timers.size,
    advance(to: number) {
      for (;;) {
        const due = [...timers].filter(([, x]) => x.due <= to).sort((a, b) => a[1].due - b[1].due);
        const first = due[0];
        if (first === undefined) break;
        timers.delete(first[0]);
        // On time, unless a block() moved the clock past the due time: then late, as in Node.
        now = Math.max(now, first[1].due);
        first[1].callback();
      }
      now = to;
    },
    block(ms: number) {
      now += ms;
    },
  };
}
