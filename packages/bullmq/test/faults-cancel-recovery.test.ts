// A cancel that reaches no one: the job runs on worker A, A is frozen (SIGSTOP), the caller
// aborts (the producer sets the cancel key and publishes; A cannot hear it), worker B starts
// after the publish, A dies. B recovers the stalled job, finds the cancel key before running
// the task, and fails the job: the caller rejects with its own reason, the task never runs
// again and never completes.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import {
  bullName,
  cancelKeys,
  defer,
  fileIn,
  filesIn,
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

test('cancel across stall recovery: the recovering worker sees the cancel key, the caller gets its reason', {
  skip: noRedis,
  timeout: 60_000,
}, async (t) => {
  const redis = await redisFor(t);
  const queue = queueName('cancel');
  const keys = cancelKeys(queue);
  const events = await jobEvents(t, redis.url, bullName(queue));
  const gate = gateFor(t);
  const a = await workerProcess(t, redis.url, queue);
  const engine = await producerFor(t, redis.url, queue);
  const listener = new Redis(redis.url);
  defer(t, () => listener.disconnect());
  await listener.subscribe(keys.channel);

  const controller = new AbortController();
  const job = engine.run('hold', { gate, tag: 'C' }, { signal: controller.signal });
  const rejected = job.then(
    () => assert.fail('the cancelled job resolved'),
    (error: unknown) => error,
  );
  await fileIn(gate, (name) => name === `started-C-${a.pid}`);

  process.kill(a.pid, 'SIGSTOP');
  const published = once(listener, 'message') as Promise<[string, string]>;
  const reason = new Error('the caller gave up');
  controller.abort(reason);
  const [, id] = await published;
  const flag = new Redis(redis.url);
  defer(t, () => flag.disconnect());
  assert.equal(await flag.exists(`${keys.key}${id}`), 1, 'the cancel key is set');

  // B starts after the publish: only the key can tell it.
  const b = await workerProcess(t, redis.url, queue);
  await a.stop();

  assert.equal(await rejected, reason, 'the caller rejects with its own reason');
  await events.until(() => events.failed.has(id));
  assert.equal(events.stalled.get(id), 1, 'B recovered it from a stall');
  assert.equal(events.completed.size, 0, 'it never completed');
  assert.deepEqual(
    filesIn(gate, (name) => name.startsWith('started-C-')),
    [`started-C-${a.pid}`],
    `B (${b.pid}) never started the task`,
  );
});
