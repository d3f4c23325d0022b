/**
 * The shape of what a scenario reports: rows of measured values and the targets judged
 * against them. The table, the JSON file and the HTML chart are all drawn from this.
 *
 * @module
 */

/** One measured value with its spread: the median of the rounds (or samples) and min–max. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** How many rounds (workloads) or samples (micro-benchmarks) the spread is over. */
  count: number;
  /** Every round's value in run order (workloads only: tinybench's samples are not kept). */
  values?: number[];
}

/** One line of a scenario's table and one bar of its chart. */
export interface Row {
  /** The pool, or variant, measured: `tandem`, `piscina`, `sequential`, `ideal`… */
  label: string;
  /** Groups bars by colour in the chart and rows in the table: `16 MB`, `threads=2`. */
  group?: string;
  value: Spread;
  /** Further columns, already in display units: `{ p99: 0.123, 'tasks': 50000 }`. */
  extra?: Record<string, number | string>;
}

/**
 * `not judged` is a quick run's verdict: the ratio is printed, but at smoke-run sizes it says
 * nothing about the target, so it is neither met nor missed.
 */
export type TargetStatus = 'met' | 'missed' | 'not run' | 'not judged';

/** A target from the issue, judged: the ratio is always printed, met or not. */
export interface TargetResult {
  /** As written in the issue, e.g. `tandem.run p50 ≤ 1.15 × piscina.run p50`. */
  statement: string;
  ratio: number | undefined;
  limit: number;
  comparison: '<=' | '>=';
  /** Set when the target is an absolute value in this unit rather than a ratio. */
  unit?: string;
  status: TargetStatus;
  /** Why a target was not run, or how the ratio was formed. */
  detail: string;
}

export interface ScenarioResult {
  name: string;
  title: string;
  /** What the primary value is and which way is better, e.g. `tasks/s`, higher. */
  metric: { name: string; unit: string; better: 'lower' | 'higher' };
  rows: Row[];
  targets: TargetResult[];
  /** Caveats a reader needs next to the numbers (sizes used, what a row means). */
  notes: string[];
  /** Wall time the scenario took, ms, so a slow scenario is visible in the run summary. */
  elapsedMs: number;
}
