/**
 * The top-N report drawn from an aggregate, as data (for `--json` and tests) and as text.
 * Ties are broken by key so that the report is the same whatever order lines were counted in.
 *
 * @module
 */
import type { Aggregate } from './aggregate.ts';
import { quantile } from './latency-sketch.ts';
import { ipText } from './parse.ts';

export interface Report {
  lines: number;
  malformed: number;
  bytes: number;
  /** Every status seen, ascending. */
  statuses: { status: number; hits: number }[];
  topPathsByHits: { path: string; hits: number; bytes: number }[];
  topPathsByBytes: { path: string; hits: number; bytes: number }[];
  topIps: { ip: string; hits: number }[];
  distinctPaths: number;
  distinctIps: number;
  /** Response-time quantiles in µs (within 3.1 %), or null for a log with no valid line. */
  latency: { p50: number | null; p99: number | null };
}

/** A total order on keys: numbers (IPv4 clients) first, ascending, then strings. */
function keyBefore(a: string | number, b: string | number): boolean {
  return typeof a === typeof b ? a < b : typeof a === 'number';
}

/** The `n` largest by `value`, ties by key ascending, without sorting the whole map. */
function top<K extends string | number, V>(
  map: Map<K, V>,
  n: number,
  value: (v: V) => number,
): [K, V][] {
  const best: [K, V][] = [];
  if (n < 1) return best;
  const before = (a: [K, V], b: [K, V]) =>
    value(a[1]) > value(b[1]) || (value(a[1]) === value(b[1]) && keyBefore(a[0], b[0]));
  for (const entry of map) {
    if (best.length === n && !before(entry, best[n - 1]!)) continue;
    let i = Math.min(best.length, n - 1);
    while (i > 0 && before(entry, best[i - 1]!)) i--;
    best.splice(i, 0, entry);
    if (best.length > n) best.pop();
  }
  return best;
}

export function toReport(aggregate: Aggregate, n: number): Report {
  const paths = (entries: [string, { hits: number; bytes: number }][]) =>
    entries.map(([path, { hits, bytes }]) => ({ path, hits, bytes }));
  return {
    lines: aggregate.lines,
    malformed: aggregate.malformed,
    bytes: aggregate.bytes,
    statuses: [...aggregate.statuses]
      .sort(([a], [b]) => a - b)
      .map(([status, hits]) => ({ status, hits })),
    topPathsByHits: paths(top(aggregate.paths, n, (p) => p.hits)),
    topPathsByBytes: paths(top(aggregate.paths, n, (p) => p.bytes)),
    topIps: top(aggregate.ips, n, (hits) => hits).map(([ip, hits]) => ({ ip: ipText(ip), hits })),
    distinctPaths: aggregate.paths.size,
    distinctIps: aggregate.ips.size,
    latency: {
      p50: quantile(aggregate.latency, 0.5) ?? null,
      p99: quantile(aggregate.latency, 0.99) ?? null,
    },
  };
}

const count = (n: number) => n.toLocaleString('en-US');
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const ms = (micros: number | null) => (micros === null ? '-' : `${(micros / 1_000).toFixed(1)} ms`);

/** The report as a few plain-text tables for stdout. */
export function formatReport(report: Report): string {
  const out: string[] = [];
  out.push(
    `${count(report.lines)} lines, ${count(report.malformed)} malformed, ${mib(report.bytes)} served, ${count(report.distinctPaths)} paths, ${count(report.distinctIps)} clients`,
    `response time p50 ${ms(report.latency.p50)}, p99 ${ms(report.latency.p99)}`,
    '',
    `status  ${report.statuses.map(({ status, hits }) => `${status}: ${count(hits)}`).join('  ')}`,
    '',
    'top paths by hits                              hits        bytes',
  );
  for (const { path, hits, bytes } of report.topPathsByHits) {
    out.push(`  ${path.padEnd(40)} ${count(hits).padStart(10)} ${mib(bytes).padStart(12)}`);
  }
  out.push('', 'top paths by bytes                             hits        bytes');
  for (const { path, hits, bytes } of report.topPathsByBytes) {
    out.push(`  ${path.padEnd(40)} ${count(hits).padStart(10)} ${mib(bytes).padStart(12)}`);
  }
  out.push('', 'top clients                                    hits');
  for (const { ip, hits } of report.topIps)
    out.push(`  ${ip.padEnd(40)} ${count(hits).padStart(10)}`);
  return out.join('\n');
}
