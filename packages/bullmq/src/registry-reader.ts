/**
 * What the producer knows of the workers: the registry each `tandem-worker` refreshes every
 * 5 s (a hash of JSON descriptions, and a sorted set scored by when each registration
 * expires). Read at start and every 5 s; a worker whose registration expired no longer counts.
 *
 * @module
 */
import type { Redis } from 'ioredis';
import type { TandemKeys } from './queue-name.js';

/** The live workers, summed. */
export interface WorkerCensus {
  /** Live workers. */
  workers: number;
  /** Sum of their threads (0 with none). */
  threads: number;
  /** Union of the task names they run, sorted; undefined with no live worker. */
  taskNames: readonly string[] | undefined;
}

export const NO_WORKERS: WorkerCensus = Object.freeze({
  workers: 0,
  threads: 0,
  taskNames: undefined,
});

/** Reads the registry once. Entries that are not a worker's JSON are skipped. */
export async function readWorkers(client: Redis, keys: TandemKeys): Promise<WorkerCensus> {
  const ids = await client.zrangebyscore(keys.alive, `(${Date.now()}`, '+inf');
  if (ids.length === 0) return NO_WORKERS;
  const rows = await client.hmget(keys.workers, ...ids);
  let workers = 0;
  let threads = 0;
  const names = new Set<string>();
  for (const row of rows) {
    const worker = parse(row);
    if (worker === undefined) continue;
    workers++;
    threads += worker.threads;
    for (const name of worker.names) names.add(name);
  }
  if (workers === 0) return NO_WORKERS;
  return { workers, threads, taskNames: Object.freeze([...names].sort()) };
}

function parse(row: string | null): { threads: number; names: string[] } | undefined {
  if (row === null) return undefined;
  try {
    const value = JSON.parse(row) as { threads?: unknown; names?: unknown };
    const threads = value.threads;
    if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1) return undefined;
    const names = Array.isArray(value.names)
      ? value.names.filter((n): n is string => typeof n === 'string')
      : [];
    return { threads, names };
  } catch {
    return undefined;
  }
}
