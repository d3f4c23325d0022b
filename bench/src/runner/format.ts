/**
 * Number formatting shared by the table and the report: three significant figures, which is
 * already more precision than a shared machine can give.
 *
 * @module
 */

export function formatNumber(value: number | string): string {
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 1_000) return Math.round(value).toLocaleString('en-US');
  if (magnitude === 0) return '0';
  return value.toPrecision(3);
}

export function formatRatio(ratio: number | undefined): string {
  return ratio === undefined ? '—' : `${ratio.toFixed(2)}×`;
}
