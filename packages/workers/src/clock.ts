/**
 * The one seam through which Tandem reads time and sets timers. Production uses the monotonic
 * `performance.now()` and the global timers; tests swap in a clock driven by
 * `t.mock.timers` (see `mockTimersClock`) instead of sleeping.
 *
 * @module
 */

/** A timer handle as returned by {@link Clock.setTimeout}. */
export type TimerHandle = ReturnType<typeof setTimeout>;

/** What Tandem needs of time: a monotonic `now()` in milliseconds and one-shot timers. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock. Timers are looked up on `globalThis` at each call, so mocks apply. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle),
};

/**
 * A clock for tests under `t.mock.timers.enable({ apis: ['setTimeout', 'Date'] })`:
 * `now()` reads the mocked `Date`, so `t.mock.timers.tick(ms)` moves both.
 */
export const mockTimersClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle),
};

let current: Clock = systemClock;

/** The clock in force. */
export function clock(): Clock {
  return current;
}

/** Replaces the clock (tests only); returns the previous one so it can be restored. */
export function setClock(next: Clock): Clock {
  const previous = current;
  current = next;
  return previous;
}
