// A `map` whose results fit one by one but not together: a batch's encoded result over
// `maxPayloadBytes` made the worker refuse it, and the whole map rejected with
// PayloadTooLargeError although every item's own result was small. The producer now splits
// such a batch as it splits one whose inputs are too large; only an item whose own result is
// over the limit fails, alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '@tandem/core';
import { startTestRedis } from '../../../scripts/redis/test-redis.ts';
import { bullmq } from '../src/index.ts';
import type tasks from './fixtures/tasks.ts';
import { deferrer, noRedis, reportMissingRedis } from './support/redis.ts';
import { testWorker } from './support/worker.ts';

reportMissingRedis();

test('a batch whose results together exceed the limit is split, not failed', {
  skip: noRedis,
  timeout: 60_000,
}, async (t) => {
  const defer = deferrer(t);
  const redis = await startTestRedis();
  defer(() => redis.stop());
  const limit = 10_000;
  await testWorker(defer, redis.url, 'split', { maxPayloadBytes: limit });
  const engine = await Engine.start<typeof tasks>({
    backend: bullmq({ connection: redis.url, queue: 'split', maxPayloadBytes: limit }),
  });
  defer(() => engine.close());

  // 8 results of 2 000 characters: ~21 000 bytes encoded as one batch, ~2 700 each.
  const sizes = Array.from({ length: 8 }, () => 2000);
  const values = await engine.map('big', sizes, { batch: sizes.length });
  assert.deepEqual(
    values.map((v) => v.length),
    sizes,
  );

  // One item whose own result is over the limit fails alone, with the code.
  const settled = await engine.map('big', [...sizes, 20_000], {
    batch: sizes.length + 1,
    settle: true,
  });
  assert.equal(settled.filter((s) => s.status === 'fulfilled').length, sizes.length);
  const last = settled.at(-1);
  assert.equal(last?.status, 'rejected');
  assert.equal((last as PromiseRejectedResult).reason.code, 'ERR_TANDEM_PAYLOAD_TOO_LARGE');
});
