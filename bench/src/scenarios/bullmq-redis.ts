/**
 * The bullmq scenario's Redis: the project's test Redis (`scripts/redis/test-redis.ts`: its own
 * redis-server on a free port) with the append-only file fsynced once a second, the usual
 * production setting (the test default, fsync at every write, would charge every job a disk
 * flush), and what Redis says it spent: `INFO commandstats`, `INFO cpu`, `INFO stats`.
 *
 * @module
 */
import { Redis } from 'ioredis';
import {
  redisServerBinary,
  startTestRedis,
  type TestRedis,
} from '../../../scripts/redis/test-redis.ts';

export interface BenchRedis {
  readonly url: string;
  /** A client of the bench's own, for INFO and CONFIG. */
  readonly client: Redis;
  stop(): Promise<void>;
}

/** Why the scenario cannot run here, or undefined when it can. */
export function redisUnavailable(): string | undefined {
  return redisServerBinary() === undefined
    ? 'no redis-server binary on this machine (apt-get install redis-server)'
    : undefined;
}

export async function startBenchRedis(): Promise<BenchRedis> {
  const redis: TestRedis = await startTestRedis();
  const client = new Redis(redis.url, { maxRetriesPerRequest: null, lazyConnect: false });
  try {
    await client.config('SET', 'appendfsync', 'everysec');
  } catch (error) {
    client.disconnect();
    await redis.stop();
    throw error;
  }
  return {
    url: redis.url,
    client,
    async stop() {
      client.disconnect();
      await redis.stop();
    },
  };
}

/** What Redis did between two {@link RedisSample}s. */
export interface RedisCost {
  /** Command calls by command name (Lua's own `redis.call`s included, as Redis counts them). */
  calls: Map<string, number>;
  /** `used_cpu_user + used_cpu_sys`, µs. */
  cpuMicros: number;
  /** Bytes received and sent on client connections. */
  netBytes: number;
}

export interface RedisSample {
  calls: Map<string, number>;
  cpuSeconds: number;
  netBytes: number;
}

function fields(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) map.set(line.slice(0, at), line.slice(at + 1));
  }
  return map;
}

export async function sampleRedis(client: Redis): Promise<RedisSample> {
  const [commandstats, cpu, stats] = await Promise.all([
    client.info('commandstats'),
    client.info('cpu'),
    client.info('stats'),
  ]);
  const calls = new Map<string, number>();
  for (const [key, value] of fields(commandstats)) {
    const count = /calls=(\d+)/.exec(value);
    if (key.startsWith('cmdstat_') && count) calls.set(key.slice(8), Number(count[1]));
  }
  const c = fields(cpu);
  const s = fields(stats);
  return {
    calls,
    cpuSeconds: Number(c.get('used_cpu_user')) + Number(c.get('used_cpu_sys')),
    netBytes: Number(s.get('total_net_input_bytes')) + Number(s.get('total_net_output_bytes')),
  };
}

export function costBetween(before: RedisSample, after: RedisSample): RedisCost {
  const calls = new Map<string, number>();
  for (const [name, count] of after.calls) {
    const delta = count - (before.calls.get(name) ?? 0);
    if (delta > 0) calls.set(name, delta);
  }
  // INFO is the bench's own reading (BullMQ sends it once per connection, not per job).
  calls.delete('info');
  return {
    calls,
    cpuMicros: (after.cpuSeconds - before.cpuSeconds) * 1e6,
    netBytes: after.netBytes - before.netBytes,
  };
}

/** Sum of calls. */
export function totalCalls(cost: RedisCost): number {
  let total = 0;
  for (const count of cost.calls.values()) total += count;
  return total;
}

/** Client connections Redis has now (the bench's own included). */
export async function connectedClients(client: Redis): Promise<number> {
  return Number(fields(await client.info('clients')).get('connected_clients'));
}
