// Redis goes away mid-run, politely (SIGTERM) or not (kill -9; the append-only file is fsynced
// at every write, so what Redis acknowledged survives): the producer and both workers reconnect
// by themselves, and 1,000 jobs all settle once, with the right values, none lost. A raw
// QueueEvents (not the producer's) counts the completions Redis recorded for each job id.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { queueCounts } from '@tandem/bullmq';
import type { TestRedis } from '../../../scripts/redis/test-redis.ts';
import {
  bullName,
  jobEvents,
  noRedis,
  producerFor,
  queueName,
  redisFor,
  repeated,
  requireRedis,
  workerProcess,
} from './faults-harness.ts';

requireRedis();

const JOBS = 1000;
/** Settles seen before Redis goes away: the rest are in flight or not yet added. */
const BEFORE = 300;

for (const [how, outage] of [
  ['restarted (SIGTERM)', (redis: TestRedis) => redis.restart()],
  [
    'killed -9 and restarted',
    async (redis: TestRedis) => {
      await redis.kill();
      await redis.restart();
    },
  ],
] as const) {
  test(`Redis ${how} mid-run: 1,000 jobs settle once each, right values, none lost`, {
    skip: noRedis,
    timeout: 90_000,
  }, async (t) => {
    const redis = await redisFor(t);
    const queue = queueName(how.startsWith('killed') ? 'kill9' : 'restart');
    const events = await jobEvents(t, redis.url, bullName(queue));
    await workerProcess(t, redis.url, queue);
    await workerProcess(t, redis.url, queue);
    const engine = await producerFor(t, redis.url, queue);
    const settledTimes = new Map<string, number>();
    engine.pool.onSettled(({ outcome }) =>
      settledTimes.set(outcome, (settledTimes.get(outcome) ?? 0) + 1),
    );

    let settled = 0;
    let outageDone: Promise<void> | undefined;
    const calls = Array.from({ length: JOBS }, (_, n) =>
      engine.run('square', n).finally(() => {
        if (++settled === BEFORE) outageDone = outage(redis);
      }),
    );
    const results = await Promise.allSettled(calls);
    assert.ok(outageDone, 'Redis went away mid-run');
    await outageDone;

    const wrong = results.flatMap((result, n) =>
      result.status === 'fulfilled' && result.value === n * n
        ? []
        : [`${n}: ${result.status === 'fulfilled' ? result.value : String(result.reason)}`],
    );
    assert.deepEqual(wrong, [], 'every job settled with its square');
    assert.deepEqual([...settledTimes], [['ok', JOBS]], 'each caller settled once, ok');

    // Redis's own record: every job completed, none twice, none failed.
    await events.until(() => events.completed.size === JOBS);
    assert.deepEqual(repeated(events.completed), [], 'no job completed twice');
    assert.equal(events.failed.size, 0);
    const counts = await queueCounts(engine);
    assert.deepEqual([counts.waiting, counts.active, counts.completed], [0, 0, JOBS]);
  });
}
