/**
 * What the gauges show, read once per scrape: `engine.stats()` and the event loop's health
 * over the window since the previous scrape.
 *
 * @module
 */
import {
  type EventLoopUtilization,
  type IntervalHistogram,
  monitorEventLoopDelay,
  performance,
} from 'node:perf_hooks';
import type { MeasuredEngine } from './options.js';

/** One scrape's readings. Times in seconds. */
export interface Sample {
  queued: number;
  inWorkers: number;
  workersAlive: number;
  workersBusy: number;
  workersSize: number;
  workersReplaced: number;
  broken: number;
  services: number;
  loopDelayP50: number;
  loopDelayP99: number;
  loopDelayMax: number;
  loopUtilization: number;
}

/**
 * Takes one {@link Sample} per scrape. The registry calls every metric's `collect()` in one
 * synchronous pass (`registry.metrics()` maps over its metrics before awaiting any), so the
 * first gauge to ask samples and the rest of that pass reuse it; a microtask later the next
 * ask samples afresh. That keeps `engine.stats()` to one call per scrape and starts the
 * event-loop window once per scrape, not once per gauge.
 *
 * The event-loop figures cover the time since the previous scrape, as prom-client's own
 * `nodejs_eventloop_lag_*` gauges do: a percentile since start stops moving after a few hours
 * of uptime, which hides the incident a dashboard is for. The histogram is the collector's
 * own, so `engine.stats().loop` (since start, or `engine.resetLoopDelay()`) is left alone.
 */
export class ScrapeSampler {
  readonly #engine: MeasuredEngine;
  readonly #delay: IntervalHistogram;
  /** The sampling interval: Node records it with each delay, so it is taken off. */
  readonly #resolutionNs: number;
  #utilization: EventLoopUtilization;
  #current: Sample | undefined;

  constructor(engine: MeasuredEngine, resolutionMs: number) {
    this.#engine = engine;
    this.#resolutionNs = resolutionMs * 1e6;
    // Node's interval histogram runs on an unref'd libuv timer: it keeps no process alive.
    this.#delay = monitorEventLoopDelay({ resolution: resolutionMs });
    this.#delay.enable();
    this.#utilization = performance.eventLoopUtilization();
  }

  sample(): Sample {
    if (this.#current !== undefined) return this.#current;
    const { pool, services } = this.#engine.stats();
    const delay = this.#delay;
    // No sample in the window (scrapes closer together than the resolution): no delay seen.
    const late = (ns: number) =>
      delay.count === 0 ? 0 : Math.max(0, ns - this.#resolutionNs) / 1e9;
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, this.#utilization);
    this.#current = {
      queued: pool.queued,
      inWorkers: pool.inWorkers,
      workersAlive: pool.threads,
      workersBusy: pool.workersBusy,
      workersSize: pool.size,
      workersReplaced: pool.workersReplaced,
      broken: pool.broken ? 1 : 0,
      services,
      loopDelayP50: late(delay.percentile(50)),
      loopDelayP99: late(delay.percentile(99)),
      loopDelayMax: late(delay.max),
      loopUtilization: Number.isFinite(utilization) ? utilization : 0,
    };
    delay.reset();
    this.#utilization = now;
    queueMicrotask(() => {
      this.#current = undefined;
    });
    return this.#current;
  }

  /** Stops the event-loop histogram. */
  stop(): void {
    this.#delay.disable();
  }
}
