// The tandem-worker CLI as a real child process, driven by a bare BullMQ producer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestRedis } from '../../../scripts/redis/test-redis.ts';
import { spawnWorker } from './fixtures/worker-process.ts';
import { rawProducer } from './support/raw-producer.ts';
import { deferrer, noRedis, reportMissingRedis } from './support/redis.ts';

reportMissingRedis();

test('a CLI worker answers a job', { skip: noRedis, timeout: 60_000 }, async (t) => {
  const defer = deferrer(t);
  const redis = await startTestRedis();
  defer(() => redis.stop());
  const worker = spawnWorker({ redisUrl: redis.url, queue: 'cli', threads: 1 });
  defer(() => worker.stop());
  await worker.ready;
  assert.match(worker.id, /:\d+$/);
  const producer = await rawProducer(redis.url, 'cli');
  defer(() => producer.close());
  const id = await producer.add('square', 7);
  assert.deepEqual(await producer.outcome(id), { status: 'completed', value: 49 });
});
