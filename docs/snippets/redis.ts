// The `redis` prelude's fixture: a Redis of the snippet's own (the tests' redis-server on a
// free port, in a temporary directory) and a Tandem worker in this process serving the
// markdown file's own `tasks.ts` on queue `tandem`, as `tandem-worker` would on another machine.
import { startWorker, type TandemWorker } from '@tandem/bullmq';
import { startTestRedis } from './test-redis.js';

export interface DocsRedis extends AsyncDisposable {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly worker: TandemWorker;
}

/** Starts Redis and a worker over `tasks`; disposing closes the worker, then stops Redis. */
export async function startRedis(tasks: URL): Promise<DocsRedis> {
  const redis = await startTestRedis();
  let worker: TandemWorker;
  try {
    worker = await startWorker({ tasks, connection: redis.url, queue: 'tandem', threads: 1 });
  } catch (error) {
    await redis.stop();
    throw error;
  }
  return {
    url: redis.url,
    worker,
    async [Symbol.asyncDispose]() {
      try {
        await worker.close();
      } finally {
        await redis.stop();
      }
    },
  };
}
