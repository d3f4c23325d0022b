/**
 * The event loop's health, measured: `perf_hooks.monitorEventLoopDelay` samples how late a
 * timer fires, which is how long the loop was blocked.
 *
 * @module
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { type LatencySummary, OutOfRangeError } from '@tandem/workers';
import { checkInteger, summarize } from '@tandem/workers/internal';

/** Event-loop delay percentiles in milliseconds (from nanoseconds). */
export type LoopDelay = LatencySummary;

/** The sampling interval used when none is given, in ms (Node's default). */
export const DEFAULT_LOOP_DELAY_RESOLUTION = 10;

/** The longest sampling interval, in ms: a sample a minute is already too coarse to be useful. */
export const MAX_LOOP_DELAY_RESOLUTION = 60_000;

/**
 * Checks a sampling interval: an integer number of ms from 1 (Node's own minimum) to
 * {@link MAX_LOOP_DELAY_RESOLUTION}.
 *
 * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`), OutOfRangeError (`ERR_TANDEM_OUT_OF_RANGE`).
 */
export function checkLoopDelayResolution(name: string, value: unknown): number {
  const resolution = checkInteger(name, value, 1);
  if (resolution > MAX_LOOP_DELAY_RESOLUTION) {
    throw new OutOfRangeError(
      `Expected ${name} <= ${MAX_LOOP_DELAY_RESOLUTION}, got ${resolution}`,
    );
  }
  return resolution;
}

/**
 * Samples event-loop delay from `start()` until `stop()`.
 *
 * @example
 * const monitor = new LoopDelayMonitor(); monitor.start();
 * … ; console.log(monitor.snapshot().p99);
 */
export class LoopDelayMonitor {
  readonly #histogram: IntervalHistogram;
  readonly #resolution: number;
  #running = false;

  /**
   * @param resolution sampling interval in ms, an integer from 1 to 60 000 (default 10, Node's
   * default).
   * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`), OutOfRangeError
   * (`ERR_TANDEM_OUT_OF_RANGE`) for any other value.
   */
  constructor(resolution = DEFAULT_LOOP_DELAY_RESOLUTION) {
    this.#resolution = checkLoopDelayResolution('resolution', resolution);
    this.#histogram = monitorEventLoopDelay({ resolution });
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#histogram.enable();
  }

  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#histogram.disable();
  }

  /**
   * Percentiles since start (or the last reset), in ms: how much later than due the sampling
   * timer fired. Node's histogram records the whole interval (an idle loop reads about
   * `resolution` ms), so the interval is taken off, leaving the delay itself.
   */
  snapshot(): LoopDelay {
    return netOfInterval(summarize(this.#histogram, 1e-6), this.#resolution);
  }

  reset(): void {
    this.#histogram.reset();
  }
}

/**
 * Node's histogram records the whole time between two sampling timers (an idle loop reads
 * about `resolution` ms); taking the interval off leaves how late the timer fired.
 */
export function netOfInterval(raw: LoopDelay, resolution: number): LoopDelay {
  if (raw.count === 0) return raw;
  const late = (ms: number) => Math.max(0, ms - resolution);
  return {
    count: raw.count,
    p50: late(raw.p50),
    p99: late(raw.p99),
    max: late(raw.max),
    mean: late(raw.mean),
  };
}
