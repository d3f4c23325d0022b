/**
 * One-shot timers for any duration. Node's `setTimeout` fires after 1 ms for a delay of 2³¹ ms
 * or more (and for `Infinity`), so a 30-day deadline or an `Infinity` grace would fire at once.
 * Here `Infinity` means "never" (nothing is scheduled) and a longer finite delay is reached in
 * hops of at most {@link MAX_TIMER_MS}. Every timer goes through the `clock()` seam.
 *
 * @module
 */
import { clock } from './clock.js';

/** The longest delay Node's timers honour: 2³¹ − 1 ms (about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A started timer. */
export interface Timer {
  /** Stops it; calling it again, or after the timer fired, does nothing. */
  cancel(): void;
}

const never: Timer = Object.freeze({ cancel() {} });

/**
 * Calls `callback` once after `ms` milliseconds on the clock in force. `Infinity` never fires.
 * With `unref`, the timer does not keep the process alive.
 */
export function startTimer(ms: number, callback: () => void, unref = false): Timer {
  if (ms === Number.POSITIVE_INFINITY) return never;
  const c = clock();
  const due = c.now() + ms;
  let handle: ReturnType<typeof c.setTimeout>;
  const arm = (delay: number) => {
    handle = c.setTimeout(
      delay > MAX_TIMER_MS ? () => arm(due - c.now()) : callback,
      Math.min(delay, MAX_TIMER_MS),
    );
    if (unref) (handle as { unref?: () => void }).unref?.();
  };
  arm(ms);
  return { cancel: () => c.clearTimeout(handle) };
}
