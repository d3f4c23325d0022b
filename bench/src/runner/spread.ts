/**
 * Medians and min–max: the summary used for whole workloads. The median, not the mean,
 * because on a shared machine one round stalled by a neighbour should not move the figure.
 *
 * @module
 */
import type { Spread } from './result.ts';

export function spreadOf(values: readonly number[]): Spread {
  if (values.length === 0) throw new RangeError('Expected at least one value, got none');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median =
    sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return {
    median,
    min: sorted[0]!,
    max: sorted.at(-1)!,
    count: sorted.length,
    values: [...values],
  };
}

/**
 * `numerator / x` for a spread of durations: a rate. The bounds swap, since the fastest round
 * gives the highest rate.
 */
export function rateOf(spread: Spread, numerator: number): Spread {
  return {
    median: numerator / spread.median,
    min: numerator / spread.max,
    max: numerator / spread.min,
    count: spread.count,
    ...(spread.values ? { values: spread.values.map((value) => numerator / value) } : {}),
  };
}
