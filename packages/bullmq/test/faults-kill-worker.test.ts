// kill -9 of a worker process mid-job while another worker runs: BullMQ's stalled-job check on
// the survivor moves the job back to wait, the survivor runs it, and the producer's promise
// settles once, with the survivor's result. Short locks (2 s, checked every 1 s) make the
// recovery take seconds; how many is reported, not asserted (numbers belong in bench/).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import {
  bullName,
  fileIn,
  gateFor,
  jobEvents,
  noRedis,
  producerFor,
  queueName,
  redisFor,
  requireRedis,
  workerProcess,
} from './faults-harness.ts';

requireRedis();

test('kill -9 of the worker running a job: the other worker finishes it, the caller settles once', {
  skip: noRedis,
  timeout: 60_000,
}, async (t) => {
  const redis = await redisFor(t);
  const queue = queueName('kill');
  const events = await jobEvents(t, redis.url, bullName(queue));
  const gate = gateFor(t);
  const a = await workerProcess(t, redis.url, queue);
  const engine = await producerFor(t, redis.url, queue);
  const settles: string[] = [];
  engine.pool.onSettled((event) => settles.push(`${event.task}:${event.outcome}`));

  // Only A is up: the job can only start there.
  const job = engine.run('hold', { gate, tag: 'J' });
  await fileIn(gate, (name) => name === `started-J-${a.pid}`);
  const b = await workerProcess(t, redis.url, queue);

  const killed = performance.now();
  await a.stop();
  // A is gone: the gate now only lets B's re-run through, at once.
  writeFileSync(join(gate, 'open'), '');
  const result = await job;
  const recovery = performance.now() - killed;

  assert.deepEqual(result, { tag: 'J', pid: b.pid }, 'the result came from the second worker');
  assert.deepEqual(settles, ['hold:ok'], 'the caller settled once');
  // Redis saw the stall, then one completion (read after a later job's, as a barrier).
  assert.equal(await engine.run('square', 3), 9);
  await events.until(() => events.completed.size === 2);
  assert.equal(
    [...events.stalled.values()].reduce((sum, n) => sum + n, 0),
    1,
    'one stall',
  );
  assert.deepEqual([...events.completed.values()], [1, 1], 'each job completed once');
  assert.deepEqual(settles, ['hold:ok', 'square:ok']);
  t.diagnostic(`kill -9 to settled on the other worker: ${Math.round(recovery)} ms`);
});
