// A bare BullMQ producer speaking Tandem's wire format (wire.ts, failure.ts), for the worker's
// tests: they run before (and independently of) the real producer, and can put on the queue
// what no Tandem producer would (another wire version, an oversized input, an unknown task).
import { randomUUID } from 'node:crypto';
import { type ConnectionOptions, type JobsOptions, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { redisOptions } from '../../src/connection.ts';
import { readFailure } from '../../src/failure.ts';
import { bullQueueName, type TandemKeys, tandemKeys } from '../../src/queue-name.ts';
import { decode, encode, type JobData } from '../../src/wire.ts';

export type Outcome =
  | { status: 'completed'; value: unknown }
  | { status: 'failed'; error: unknown; reason: string };

interface Waiter {
  resolve(outcome: Outcome): void;
  progress: unknown[];
  /** The progress seen when the outcome arrived. */
  atOutcome: unknown[];
}

export interface RawProducer {
  readonly queue: Queue;
  readonly events: QueueEvents;
  readonly keys: TandemKeys;
  /** A plain ioredis client on the same Redis (for PUBLISH, EXISTS…). */
  readonly redis: Redis;
  /** Adds a job with Tandem's data for `input` (or `data` as given), returns its id. */
  add(
    name: string,
    input: unknown,
    options?: {
      data?: Partial<JobData> | Record<string, unknown>;
      job?: JobsOptions;
      id?: string;
    },
  ): Promise<string>;
  /** The job's outcome, decoded: its result, or its failure rebuilt as the producer would. */
  outcome(id: string): Promise<Outcome>;
  /** Progress values (decoded) seen for `id` so far, in order. */
  progress(id: string): unknown[];
  /** Progress values seen before the job's completed/failed event. */
  progressAtOutcome(id: string): unknown[];
  /** Cancels a running job as the producer does (flag + publish). */
  cancel(id: string): Promise<void>;
  close(): Promise<void>;
}

export async function rawProducer(
  redisUrl: string,
  queueName: string,
  version = '1',
  prefix = 'bull',
): Promise<RawProducer> {
  const connection = redisOptions('redisUrl', redisUrl);
  const name = bullQueueName(queueName, version);
  const queue = new Queue(name, { connection: { ...connection } as ConnectionOptions, prefix });
  // From the stream's start: a job that settles before the first read is still seen.
  const events = new QueueEvents(name, {
    connection: { ...connection } as ConnectionOptions,
    prefix,
    lastEventId: '0',
  });
  const redis = new Redis({ ...connection });
  // Reconnects by itself (tests restart Redis); the errors meanwhile are expected.
  redis.on('error', () => {});
  const keys = tandemKeys(prefix, name);
  const waiters = new Map<string, Waiter & { promise: Promise<Outcome> }>();
  const waiter = (id: string) => {
    let entry = waiters.get(id);
    if (entry === undefined) {
      let resolve!: (outcome: Outcome) => void;
      const promise = new Promise<Outcome>((r) => {
        resolve = r;
      });
      entry = { resolve, promise, progress: [], atOutcome: [] };
      waiters.set(id, entry);
    }
    return entry;
  };
  events.on('completed', ({ jobId, returnvalue }) => {
    waiter(jobId).atOutcome = [...waiter(jobId).progress];
    waiter(jobId).resolve({ status: 'completed', value: decode(returnvalue) });
  });
  events.on('failed', ({ jobId, failedReason }) => {
    const read = readFailure(jobId, failedReason);
    waiter(jobId).atOutcome = [...waiter(jobId).progress];
    waiter(jobId).resolve({
      status: 'failed',
      error: 'error' in read ? read.error : read,
      reason: failedReason,
    });
  });
  events.on('progress', ({ jobId, data }) => {
    waiter(jobId).progress.push(decode(data));
  });
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  return {
    queue,
    events,
    keys,
    redis,
    async add(task, input, options = {}) {
      const id = options.id ?? `r-${randomUUID()}`;
      waiter(id);
      const data = { v: 1, i: encode(input), ...options.data };
      await queue.add(task, data, { jobId: id, attempts: 1, ...options.job });
      return id;
    },
    outcome: (id) => waiter(id).promise,
    progress: (id) => [...waiter(id).progress],
    progressAtOutcome: (id) => [...waiter(id).atOutcome],
    async cancel(id) {
      await redis
        .multi()
        .set(keys.cancelKey + id, '1', 'PX', 86_400_000)
        .publish(keys.cancelChannel, id)
        .exec();
    },
    async close() {
      await events.close();
      await queue.close();
      await redis.quit();
    },
  };
}
