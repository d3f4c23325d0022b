/**
 * How long the event loop takes to come back to the pool, and so how much work a worker must
 * hold to stay busy until the loop answers it. With a free loop a worker's answer is handled
 * within microseconds and 2 ms of held work ({@link HELD_MS}) is plenty; with a loop flooded
 * by sockets (a server shedding thousands of requests a second) one turn of the loop can take
 * tens of ms, and a worker holding 2 ms of work idles for the rest of each turn: measured, the
 * worker of a shedding web service ran 12 % of the time. The lag is read from a
 * `monitorEventLoopDelay` histogram (a native timer, unref'd), its largest delay per window,
 * and only from the moment a task has to queue until the pool has nothing left to settle: an
 * idle pool, or one whose tasks find an idle worker, sets no timer going.
 *
 * @module
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { HELD_MS } from './cost-model.js';

/** Ms between two samples of the timer (the histogram's resolution). */
const RESOLUTION_MS = 10;
/** Ms over which the largest delay is taken before the histogram starts again. */
const WINDOW_MS = 100;
/** The most work, in ms, a worker is given to hold however slow the loop is. */
export const MAX_HELD_MS = 250;

export class LoopLag {
  readonly #histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  #windowStart = performance.now();
  #heldMs = HELD_MS;
  /** Watching now (a flag: enabling and disabling cross into native code on every call). */
  #on = false;

  /** Starts watching (the pool has work). Idempotent. */
  start(): void {
    if (this.#on) return;
    this.#on = true;
    this.#histogram.enable();
  }

  /** Stops watching (no work, or the pool is down); what was seen still counts. Idempotent. */
  stop(): void {
    if (!this.#on) return;
    this.#on = false;
    this.#histogram.disable();
  }

  /**
   * Ms of work a worker should hold: twice the longest turn of the loop seen in the last window
   * (it must last until its answer is handled and the next message arrives), at least
   * {@link HELD_MS}, at most {@link MAX_HELD_MS}.
   */
  heldMs(now: number): number {
    if (now - this.#windowStart >= WINDOW_MS) {
      // The histogram counts in ns, and a timer that fired on time shows its own interval.
      const lagMs = Math.max(0, this.#histogram.max / 1e6 - RESOLUTION_MS);
      this.#heldMs = Math.min(MAX_HELD_MS, Math.max(HELD_MS, 2 * lagMs));
      this.#histogram.reset();
      this.#windowStart = now;
    }
    return this.#heldMs;
  }
}
