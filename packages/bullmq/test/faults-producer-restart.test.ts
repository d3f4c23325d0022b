// A producer killed (-9) after submitting keyed jobs: its jobs live on in Redis, so a new
// producer awaits them by key (awaitJob) and gets their results, whether they finished before
// it started or after; running the same key again returns the stored result without running
// the task again.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { awaitJob } from '@tandem/bullmq';
import {
  bullName,
  filesIn,
  gateFor,
  jobEvents,
  noRedis,
  producerFor,
  queueName,
  redisFor,
  repeated,
  requireRedis,
  startChild,
  workerProcess,
} from './faults-harness.ts';

requireRedis();

const JOBS = 20;
const child = new URL('./fixtures/faults-producer.ts', import.meta.url).pathname;

test('a producer killed after submitting: a new one awaits its jobs by key; a re-run does not execute', {
  skip: noRedis,
  timeout: 60_000,
}, async (t) => {
  const redis = await redisFor(t);
  const queue = queueName('producer');
  const events = await jobEvents(t, redis.url, bullName(queue));
  // Jobs 0–9 wait on the first gate, 10–19 on the second.
  const [first, second] = [gateFor(t), gateFor(t)];
  const worker = await workerProcess(t, redis.url, queue);

  const producer = startChild(t, child, [redis.url, queue, String(JOBS), first, second]);
  await events.until(() => events.added.size === JOBS);
  await producer.kill9();

  // The first half finishes while no producer is alive.
  writeFileSync(join(first, 'open'), '');
  await events.until(() => events.completed.size === JOBS / 2);

  const engine = await producerFor(t, redis.url, queue);
  const awaited = Array.from({ length: JOBS }, (_, i) =>
    awaitJob(engine, `key-${i}`, { name: 'hold' }),
  );
  writeFileSync(join(second, 'open'), '');
  const results = await Promise.all(awaited);
  assert.deepEqual(
    results,
    Array.from({ length: JOBS }, (_, i) => ({ tag: `h${i}`, pid: worker.pid })),
  );

  // The same keys again: the stored results, and no second start of the task.
  for (const i of [0, JOBS - 1]) {
    const gate = i < JOBS / 2 ? first : second;
    const again = await engine.run('hold', { gate, tag: `h${i}` }, { idempotencyKey: `key-${i}` });
    assert.deepEqual(again, { tag: `h${i}`, pid: worker.pid });
    assert.equal(filesIn(gate, (name) => name.startsWith(`started-h${i}-`)).length, 1);
  }
  assert.equal(events.completed.size, JOBS);
  assert.deepEqual(repeated(events.completed), []);
  assert.deepEqual(repeated(events.added), [], 'a re-run adds no job');
});
