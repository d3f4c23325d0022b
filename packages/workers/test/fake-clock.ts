import type { TestContext } from 'node:test';
import type { Clock } from '@tandem/workers';
import { setClock } from '@tandem/workers/internal';

/** A clock whose timers fire only when the test advances time; it records every delay asked. */
export function fakeClock(t: TestContext) {
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
