/**
 * The raw row's producer: BullMQ itself, as a user without Tandem would drive it — `Queue.add`
 * with the same retention as the Tandem backend, one `QueueEvents` settling every pending job
 * by id. No codec, no threads, no cancellation: the floor under the Tandem rows.
 *
 * @module
 */
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';

export interface RawProducer {
  run(value: number): Promise<unknown>;
  close(): Promise<void>;
}

export async function startRawProducer(url: string, queue: string): Promise<RawProducer> {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const q = new Queue(queue, { connection });
  // QueueEvents blocks on XREAD: a connection of its own, from options, not the shared client.
  const { hostname, port } = new URL(url);
  const events = new QueueEvents(queue, { connection: { host: hostname, port: Number(port) } });
  await Promise.all([q.waitUntilReady(), events.waitUntilReady()]);
  const pending = new Map<string, { resolve(v: unknown): void; reject(e: Error): void }>();
  events.on('completed', ({ jobId, returnvalue }) => {
    pending.get(jobId)?.resolve(returnvalue);
    pending.delete(jobId);
  });
  events.on('failed', ({ jobId, failedReason }) => {
    pending.get(jobId)?.reject(new Error(failedReason));
    pending.delete(jobId);
  });
  let next = 0;
  const keep = { age: 3_600, count: 100_000 };
  return {
    run(value) {
      const jobId = `raw-${process.pid}-${next++}`;
      const settled = new Promise((resolve, reject) => pending.set(jobId, { resolve, reject }));
      void q
        .add('noop', value, { jobId, removeOnComplete: keep, removeOnFail: keep })
        .catch((error: Error) => {
          pending.get(jobId)?.reject(error);
          pending.delete(jobId);
        });
      return settled;
    },
    async close() {
      await events.close();
      await q.close();
      connection.disconnect();
    },
  };
}
