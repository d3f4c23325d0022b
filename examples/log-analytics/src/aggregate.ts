/**
 * The aggregate of a log (or of a part of it): counts that merge exactly, so partial aggregates
 * computed in any order, on any thread, add up to the aggregate of the whole log.
 *
 * @module
 */
import { createSketch, type LatencySketch, mergeSketch, record } from './latency-sketch.ts';
import type { LogRecord } from './parse.ts';

export interface PathStats {
  hits: number;
  bytes: number;
}

/** Plain data (Maps and a Float64Array): it crosses threads by structured clone. */
export interface Aggregate {
  lines: number;
  malformed: number;
  bytes: number;
  statuses: Map<number, number>;
  paths: Map<string, PathStats>;
  /** Hits per client, keyed as {@link LogRecord.ip}. */
  ips: Map<number | string, number>;
  latency: LatencySketch;
}

export function createAggregate(): Aggregate {
  return {
    lines: 0,
    malformed: 0,
    bytes: 0,
    statuses: new Map(),
    paths: new Map(),
    ips: new Map(),
    latency: createSketch(),
  };
}

/** Counts one parsed line, or a malformed one when `line` is undefined. */
export function addRecord(into: Aggregate, line: LogRecord | undefined): void {
  into.lines++;
  if (line === undefined) {
    into.malformed++;
    return;
  }
  into.bytes += line.bytes;
  into.statuses.set(line.status, (into.statuses.get(line.status) ?? 0) + 1);
  into.ips.set(line.ip, (into.ips.get(line.ip) ?? 0) + 1);
  const path = into.paths.get(line.path);
  if (path === undefined) into.paths.set(line.path, { hits: 1, bytes: line.bytes });
  else {
    path.hits++;
    path.bytes += line.bytes;
  }
  record(into.latency, line.micros);
}

function addCounts<K>(into: Map<K, number>, from: Map<K, number>): void {
  for (const [key, count] of from) into.set(key, (into.get(key) ?? 0) + count);
}

/** Adds `from` into `into` (and returns `into`). */
export function mergeAggregate(into: Aggregate, from: Aggregate): Aggregate {
  into.lines += from.lines;
  into.malformed += from.malformed;
  into.bytes += from.bytes;
  addCounts(into.statuses, from.statuses);
  addCounts(into.ips, from.ips);
  for (const [key, stats] of from.paths) {
    const path = into.paths.get(key);
    if (path === undefined) into.paths.set(key, { hits: stats.hits, bytes: stats.bytes });
    else {
      path.hits += stats.hits;
      path.bytes += stats.bytes;
    }
  }
  mergeSketch(into.latency, from.latency);
  return into;
}
