// Test harness of the producer tests: a real Redis, and a raw BullMQ `Worker` that answers jobs
// as the contract says a tandem-worker does (encode(result), failureCarrier(error)). It checks
// the producer against the wire contract without the worker package.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import {
  redisServerBinary,
  startTestRedis,
  type TestRedis,
} from '../../../scripts/redis/test-redis.ts';
import { failureCarrier } from '../src/failure.ts';
import { bullQueueName, tandemKeys } from '../src/queue-name.ts';
import { decode, encode, readJobData } from '../src/wire.ts';

export const binary = redisServerBinary();
if (binary === undefined && process.env.CI) {
  test('CI has redis-server (.ci/run installs it)', () => assert.fail('no redis-server'));
}
if (binary === undefined) {
  console.error(
    '\n*** SKIPPED: no redis-server binary here (apt-get install -y redis-server). ***\n',
  );
}
/** `skip` option of a test that needs Redis. */
export const needsRedis = binary === undefined ? 'no redis-server binary' : false;

let shared: Promise<TestRedis> | undefined;

/** One Redis per test file (each test uses its own queue name). */
export function testRedis(): Promise<TestRedis> {
  shared ??= startTestRedis();
  return shared;
}

/** Stops the file's Redis (call from an `after` hook). */
export async function stopTestRedis(): Promise<void> {
  if (shared !== undefined) await (await shared).stop();
}

let queues = 0;
/** A queue name of its own for each test. */
export function freshQueue(): string {
  return `t${process.pid}-${++queues}`;
}

export interface TaskContext {
  job: Job;
  signal: AbortSignal | undefined;
  progress(value: unknown): Promise<void>;
}
export type Handler = (input: any, ctx: TaskContext) => unknown;

/**
 * A BullMQ worker for `queue` (version 1) running `handlers` by job name, answering per the
 * wire contract: encode(result), encode(BatchOutcome) for a batch, failureCarrier(error).
 */
export function rawWorker(
  url: string,
  queue: string,
  handlers: Record<string, Handler>,
  options: {
    concurrency?: number;
    lockDuration?: number;
    stalledInterval?: number;
    maxStalledCount?: number;
  } = {},
): Worker {
  const worker = new Worker(
    bullQueueName(queue, '1'),
    async (job: Job, _token?: string, signal?: AbortSignal) => {
      const handler = handlers[job.name];
      if (handler === undefined) throw failureCarrier(new Error(`no task ${job.name}`), false);
      const data = readJobData(job.data);
      const input = decode(data.i);
      const ctx: TaskContext = {
        job,
        signal,
        progress: (value) => job.updateProgress(encode(value)),
      };
      if (data.b === 1) {
        const values: unknown[] = [];
        const errors: [number, unknown][] = [];
        for (const [i, item] of (input as unknown[]).entries()) {
          try {
            values[i] = await handler(item, ctx);
          } catch (error) {
            const { serializeError } = await import('@tandem/workers');
            errors.push([i, serializeError(error)]);
          }
        }
        return encode({ values, errors });
      }
      try {
        return encode(await handler(input, ctx));
      } catch (error) {
        // `raw`: fail as a non-Tandem worker would; `retryable`: let BullMQ retry it.
        const { raw, retryable } = error as { raw?: boolean; retryable?: boolean };
        if (raw === true) throw error;
        throw failureCarrier(error, retryable === true);
      }
    },
    {
      connection: { ...redisUrlOptions(url), maxRetriesPerRequest: null },
      concurrency: options.concurrency ?? 4,
      prefix: 'bull',
      ...(options.lockDuration !== undefined && { lockDuration: options.lockDuration }),
      ...(options.stalledInterval !== undefined && { stalledInterval: options.stalledInterval }),
      ...(options.maxStalledCount !== undefined && { maxStalledCount: options.maxStalledCount }),
    },
  );
  worker.on('error', () => {});
  return worker;
}

/** Registers a fake worker in the registry the producer reads. */
export async function register(
  url: string,
  queue: string,
  id: string,
  entry: { names: string[]; threads: number },
): Promise<void> {
  const keys = tandemKeys('bull', bullQueueName(queue, '1'));
  const client = new Redis(url);
  try {
    await client.hset(
      keys.workers,
      id,
      JSON.stringify({ ...entry, concurrency: 2, host: 'h', pid: 1 }),
    );
    await client.zadd(keys.alive, Date.now() + 15_000, id);
  } finally {
    client.disconnect();
  }
}

export function redisUrlOptions(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

/** A promise and its resolve function. */
export function signalled<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Polls `check` every 10 ms until it holds (a condition, not a guess at a duration). */
export async function until(
  check: () => boolean | Promise<boolean>,
  what = 'condition',
): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > 20_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A BullMQ Queue on the same queue, to look at jobs from the outside. */
export function inspector(url: string, queue: string): Queue {
  const q = new Queue(bullQueueName(queue, '1'), {
    connection: redisUrlOptions(url),
    prefix: 'bull',
  });
  q.on('error', () => {});
  return q;
}

/** Subscribes to the queue's cancel channel; returns the ids published, as they come. */
export async function cancelWatcher(
  url: string,
  queue: string,
): Promise<{
  ids: string[];
  seen: (id: string) => Promise<void>;
  close: () => void;
  client: Redis;
}> {
  const keys = tandemKeys('bull', bullQueueName(queue, '1'));
  const subscriber = new Redis(url);
  const client = new Redis(url);
  const ids: string[] = [];
  const waiting = new Map<string, () => void>();
  subscriber.on('message', (_channel: string, id: string) => {
    ids.push(id);
    waiting.get(id)?.();
  });
  await subscriber.subscribe(keys.cancelChannel);
  return {
    ids,
    client,
    seen: (id) =>
      ids.includes(id)
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiting.set(id, resolve)),
    close: () => {
      subscriber.disconnect();
      client.disconnect();
    },
  };
}

/**
 * A TCP proxy in front of Redis that the test can cut (every connection through it drops, and
 * new ones are refused until `restore()`): a network partition of one client, deterministic.
 */
export async function tcpProxy(
  targetPort: number,
): Promise<{ port: number; cut(): void; restore(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const cut = () => {
    refusing = true;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  return {
    port,
    cut,
    restore() {
      refusing = false;
    },
    async close() {
      cut();
      server.close();
      await once(server, 'close');
    },
  };
}
