/**
 * A histogram whose buckets are read from a {@link BucketTally} when scraped. prom-client's
 * `Histogram` can only be filled by `observe()`, one hashed label object per call; the
 * registry, though, asks each metric for its values through `get()` (the same object that
 * `registry.getMetricsAsJSON()` and the cluster aggregator read), so a metric that answers
 * `get()` from the tally is a histogram to every reader.
 *
 * @module
 */
import type { BucketTally } from './task-tally.js';

/** One line of a histogram, as prom-client's own `Histogram.get()` returns it. */
export interface HistogramValue {
  value: number;
  labels: Record<string, string | number>;
  metricName: string;
}

/** What the registry reads from a metric (prom-client's `MetricObjectWithValues`). */
export interface HistogramSnapshot {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: HistogramValue[];
}

export class TallyHistogram {
  /** Read by the registry (which may rewrite it, as it does for counters in OpenMetrics). */
  name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  readonly labelNames = ['task'] as const;
  readonly #tasks: readonly string[];
  readonly #bounds: readonly number[];
  readonly #tally: BucketTally;

  constructor(
    name: string,
    help: string,
    tasks: readonly string[],
    bounds: readonly number[],
    tally: BucketTally,
  ) {
    this.name = name;
    this.help = help;
    this.#tasks = tasks;
    this.#bounds = bounds;
    this.#tally = tally;
  }

  /** Cumulative buckets, `+Inf`, `_sum` (seconds) and `_count` for every task, zeros included. */
  async get(): Promise<HistogramSnapshot> {
    const { counts, sumMs, width } = this.#tally;
    const values: HistogramValue[] = [];
    const bucket = `${this.name}_bucket`;
    this.#tasks.forEach((task, i) => {
      let cumulative = 0;
      for (let b = 0; b < width; b++) {
        cumulative += counts[i * width + b] as number;
        const le = b < this.#bounds.length ? (this.#bounds[b] as number) : '+Inf';
        values.push({ value: cumulative, labels: { task, le }, metricName: bucket });
      }
      const sum = (sumMs[i] as number) / 1000;
      values.push({ value: sum, labels: { task }, metricName: `${this.name}_sum` });
      values.push({ value: cumulative, labels: { task }, metricName: `${this.name}_count` });
    });
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    };
  }

  /**
   * `registry.resetMetrics()` calls it. A no-op, as for the collector's counters: the values
   * are the engine's running totals since the collector started, which a scrape cannot undo.
   */
  reset(): void {}
}
