// End to end: an Engine on bullmq(…) and real Tandem workers (startWorker in this process, and
// tandem-worker processes) on the shared task module. Cancellation reaches the running task's
// ctx.signal, errors keep class, code and cause, a worker killed mid-job costs nothing but time.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Engine, type TaskSettledEvent } from '@tandem/core';
import { bullmq } from '../src/index.ts';
import type tasks from './fixtures/tasks.ts';
import { spawnWorker } from './fixtures/worker-process.ts';
import { freshQueue, needsRedis, stopTestRedis, testRedis } from './producer-harness.ts';
import { makeGate } from './support/gate.ts';
import { deferrer } from './support/redis.ts';
import { testWorker } from './support/worker.ts';

after(stopTestRedis);

async function producer(url: string, queue: string) {
  return Engine.start<typeof tasks>({ backend: bullmq({ connection: url, queue }) });
}

test('run, map, progress and errors through a real worker', {
  skip: needsRedis,
  timeout: 60_000,
}, async (t) => {
  const defer = deferrer(t);
  const redis = await testRedis();
  const queue = freshQueue();
  await testWorker(defer, redis.url, queue, { threads: 2 });
  const engine = await producer(redis.url, queue);
  defer(() => engine.close());
  assert.equal(engine.pool.threads, 2, 'from the registry');
  assert.ok(engine.pool.taskNames?.includes('square'));
  assert.equal(await engine.run('square', 12), 144);
  const items = Array.from({ length: 200 }, (_, i) => i);
  assert.deepEqual(
    await engine.map('square', items),
    items.map((i) => i * i),
  );
  const seen: unknown[] = [];
  assert.equal(await engine.run('progress', 5, { onProgress: (v) => seen.push(v) }), 5);
  assert.equal(seen.at(-1), 5, 'the last progress value arrives before the result');
  for (let i = 1; i < seen.length; i++) assert.ok((seen[i] as number) > (seen[i - 1] as number));
  const error = await engine
    .run('fail', { code: 'E_REMOTE', message: 'it broke' })
    .catch((e: unknown) => e as Error & { code: string });
  assert.equal((error as { code: string }).code, 'E_REMOTE');
  assert.ok((error as Error).cause instanceof TypeError);
  await assert.rejects(engine.run('big', 2 * 1024 * 1024), {
    code: 'ERR_TANDEM_PAYLOAD_TOO_LARGE',
    what: 'result',
  });
  // @ts-expect-error: no such task in the module
  await assert.rejects(engine.run('nope', 1), { code: 'ERR_TANDEM_UNKNOWN_TASK' });
  const settled = await engine.map('square', [1, 'x' as never, 3], { settle: true });
  assert.equal(settled[0]!.status, 'fulfilled');
});

test('cancel, deadline and timeout reach the task running on the worker', {
  skip: needsRedis,
  timeout: 60_000,
}, async (t) => {
  const defer = deferrer(t);
  const redis = await testRedis();
  const queue = freshQueue();
  const gate = makeGate();
  defer(() => gate.remove());
  await testWorker(defer, redis.url, queue, { threads: 2 });
  const engine = await producer(redis.url, queue);
  defer(() => engine.close());
  const events: TaskSettledEvent[] = [];
  engine.pool.onSettled((e) => events.push(e));

  const controller = new AbortController();
  const cancelled = engine.run('hold', { gate: gate.dir, tag: 'c' }, { signal: controller.signal });
  await gate.started('c');
  const reason = new Error('user pressed stop');
  controller.abort(reason);
  await gate.aborted('c'); // the task's ctx.signal aborted on the worker
  await assert.rejects(cancelled, (e) => e === reason);

  await assert.rejects(engine.run('hold', { gate: gate.dir, tag: 'd' }, { deadline: 300 }), {
    code: 'ERR_TANDEM_TASK_TIMEOUT',
    kind: 'deadline',
  });
  await gate.aborted('d');
  await assert.rejects(engine.run('hold', { gate: gate.dir, tag: 't' }, { timeout: 300 }), {
    code: 'ERR_TANDEM_TASK_TIMEOUT',
    kind: 'timeout',
  });
  await gate.aborted('t');
  assert.deepEqual(
    events.map((e) => e.outcome),
    ['cancelled', 'timeout', 'timeout'],
  );
  assert.ok(events[0]!.orphanMs >= 0 && events[0]!.runMs > 0);
});

test('a worker process killed mid-job: the job runs again elsewhere and settles once', {
  skip: needsRedis,
  timeout: 90_000,
}, async (t) => {
  const defer = deferrer(t);
  const redis = await testRedis();
  const queue = freshQueue();
  const gate = makeGate();
  defer(() => gate.remove());
  const options = { redisUrl: redis.url, queue, lockDuration: 1000, stalledInterval: 1000 };
  const first = spawnWorker(options);
  defer(() => first.stop());
  await first.ready;
  const engine = await producer(redis.url, queue);
  defer(() => engine.close());
  let settled = 0;
  engine.pool.onSettled(() => settled++);
  const run = engine.run('hold', { gate: gate.dir, tag: 'k' });
  const victim = await gate.started('k');
  assert.equal(victim, first.pid);
  const second = spawnWorker(options);
  defer(() => second.stop());
  await second.ready;
  first.kill('SIGKILL');
  await first.exited;
  // Recovered by the second worker once the first one's lock expired.
  await new Promise<void>((resolve) => {
    const check = () => {
      if (gate.startedBy('k').includes(second.pid)) resolve();
      else setTimeout(check, 20);
    };
    check();
  });
  gate.open();
  const result = await run;
  assert.equal(result.pid, second.pid);
  assert.equal(settled, 1);
});
