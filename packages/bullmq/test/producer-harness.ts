// Test harness of the producer tests: a real Redis, and a raw BullMQ `Worker` that answers jobs
// as the contract says a tandem-worker does (encode(result), failureCarrier(error)). It checks
// the producer against the wire contract without the worker package.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Job, Worker } from 'bullmq';
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
  options: { concurrency?: number; register?: { threads: number } } = {},
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
        throw failureCarrier(error, false);
      }
    },
    {
      connection: { ...redisUrlOptions(url), maxRetriesPerRequest: null },
      concurrency: options.concurrency ?? 4,
      prefix: 'bull',
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
