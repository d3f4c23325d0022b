/**
 * The compact form in which a worker sends a partial aggregate back: counters in typed arrays,
 * keys in flat arrays. Why not the aggregate's Maps as they are: a
 * batch of a few thousand lines holds a few thousand distinct clients and paths, and
 * structured clone rebuilds each Map entry (and each `{ hits, bytes }` object) on the loop,
 * one allocation at a time — measured here, that made the loop's share of the pipeline as
 * large as the parse it was meant to offload. A few flat arrays clone as a few copies.
 *
 * @module
 */
import type { Aggregate } from './aggregate.ts';
import { mergeSketch } from './latency-sketch.ts';

export interface PartialAggregate {
  lines: number;
  malformed: number;
  bytes: number;
  /** `[status, hits, status, hits, …]`. */
  statuses: Float64Array;
  /** `[ipv4, hits, ipv4, hits, …]` for the clients whose key is a number. */
  ipv4: Float64Array;
  /** Clients keyed by text (IPv6, host names): `[key, …]` with `otherIpHits[i]`. */
  otherIps: string[];
  otherIpHits: Float64Array;
  /** `paths[i]` has `pathStats[2i]` hits and `pathStats[2i + 1]` bytes. */
  paths: string[];
  pathStats: Float64Array;
  latency: Float64Array;
}

/** Flattens an aggregate (in the worker, once per batch). */
export function toPartial(aggregate: Aggregate): PartialAggregate {
  const statuses = new Float64Array(aggregate.statuses.size * 2);
  let i = 0;
  for (const [status, hits] of aggregate.statuses) {
    statuses[i++] = status;
    statuses[i++] = hits;
  }
  let numeric = 0;
  for (const key of aggregate.ips.keys()) if (typeof key === 'number') numeric++;
  const ipv4 = new Float64Array(numeric * 2);
  const otherIps: string[] = [];
  const otherIpHits = new Float64Array(aggregate.ips.size - numeric);
  let v4 = 0;
  for (const [key, hits] of aggregate.ips) {
    if (typeof key === 'number') {
      ipv4[v4++] = key;
      ipv4[v4++] = hits;
    } else {
      otherIpHits[otherIps.length] = hits;
      otherIps.push(key);
    }
  }
  const paths: string[] = [];
  const pathStats = new Float64Array(aggregate.paths.size * 2);
  for (const [path, { hits, bytes }] of aggregate.paths) {
    pathStats[paths.length * 2] = hits;
    pathStats[paths.length * 2 + 1] = bytes;
    paths.push(path);
  }
  const { lines, malformed, bytes, latency } = aggregate;
  return {
    lines,
    malformed,
    bytes,
    statuses,
    ipv4,
    otherIps,
    otherIpHits,
    paths,
    pathStats,
    latency,
  };
}

function add<K>(into: Map<K, number>, key: K, count: number): void {
  into.set(key, (into.get(key) ?? 0) + count);
}

/** Adds a partial into `into` (on the loop, once per batch) and returns `into`. */
export function mergePartial(into: Aggregate, from: PartialAggregate): Aggregate {
  into.lines += from.lines;
  into.malformed += from.malformed;
  into.bytes += from.bytes;
  for (let i = 0; i < from.statuses.length; i += 2) {
    add(into.statuses, from.statuses[i]!, from.statuses[i + 1]!);
  }
  for (let i = 0; i < from.ipv4.length; i += 2) add(into.ips, from.ipv4[i]!, from.ipv4[i + 1]!);
  for (const [i, key] of from.otherIps.entries()) add(into.ips, key, from.otherIpHits[i]!);
  for (const [i, path] of from.paths.entries()) {
    const hits = from.pathStats[2 * i]!;
    const bytes = from.pathStats[2 * i + 1]!;
    const stats = into.paths.get(path);
    if (stats === undefined) into.paths.set(path, { hits, bytes });
    else {
      stats.hits += hits;
      stats.bytes += bytes;
    }
  }
  mergeSketch(into.latency, from.latency);
  return into;
}
