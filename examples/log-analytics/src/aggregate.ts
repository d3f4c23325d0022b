/**
 * The aggregate of a log (or of a part of it): counts that merge exactly, so partial aggregates
 * computed in any order, on any thread, add up to the aggregate of the whole log (merging is
 * in `partial.ts`, on the compact form partials travel in).
 *
 * @module
 */
import { createSketch, type LatencySketch, record } from './latency-sketch.ts';
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
