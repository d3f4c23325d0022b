/**
 * The event loop's health, measured: `perf_hooks.monitorEventLoopDelay` samples how late a
 * timer fires, which is how long the loop was blocked.
 *
 * @module
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { type LatencySummary, summarize } from '@tandem/workers';

/** Event-loop delay percentiles in milliseconds (from nanoseconds). */
export type LoopDelay = LatencySummary;

/**
 * Samples event-loop delay from `start()` until `stop()`.
 *
 * @example
 * const monitor = new LoopDelayMonitor(); monitor.start();
 * … ; console.log(monitor.snapshot().p99);
 */
export class LoopDelayMonitor {
  readonly #histogram: IntervalHistogram;
  #running = false;

  /** @param resolution sampling interval in ms (default 10, Node's default). */
  constructor(resolution = 10) {
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

  /** Percentiles since start (or the last reset), in ms. */
  snapshot(): LoopDelay {
    return summarize(this.#histogram, 1e-6);
  }

  reset(): void {
    this.#histogram.reset();
  }
}
