// awaitJob and queueCounts given a hostile engine or options: a Proxy whose traps throw, a
// throwing getter, an engine already closed. Each is refused with a code, never with the
// thrower's own error or ioredis' bare "Connection is closed.".
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Engine } from '@tandem/core';
import { defineTasks } from '@tandem/workers';
import { awaitJob, bullmq, queueCounts } from '../src/index.ts';
import { freshQueue, needsRedis, stopTestRedis, testRedis } from './producer-harness.ts';

after(stopTestRedis);

const tasks = defineTasks({ echo: (v: unknown) => v });

const throwing = new Proxy(
  {},
  {
    get() {
      throw new Error('trap');
    },
  },
);

test('a Proxy engine whose traps throw is refused with a code', async () => {
  await assert.rejects(awaitJob(throwing as never, 'k', { name: 'echo' }), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
  await assert.rejects(queueCounts(throwing as never), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
});

test('awaitJob options that throw when read, and queueCounts once closed, are coded', {
  skip: needsRedis,
  timeout: 30_000,
}, async (t) => {
  const redis = await testRedis();
  const engine = await Engine.start<typeof tasks>({
    backend: bullmq({ connection: redis.url, queue: freshQueue() }),
  });
  t.after(() => engine.close());
  await assert.rejects(awaitJob(engine, 'k', throwing as never), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
  const getter = {
    get name(): 'echo' {
      throw new Error('getter');
    },
  };
  await assert.rejects(awaitJob(engine, 'k', getter), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
  await engine.close();
  await assert.rejects(queueCounts(engine), { code: 'ERR_TANDEM_POOL_CLOSED' });
});
