// A task that ends its worker thread (process.exit in the thread) fails the job with
// WorkerCrashedError, code ERR_TANDEM_WORKER_CRASHED, exactly as on the local pool; the worker
// process replaces the thread and keeps serving.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '@tandem/core';
import { WorkerCrashedError } from '@tandem/workers';
import {
  defer,
  noRedis,
  producerFor,
  queueName,
  redisFor,
  requireRedis,
  workerProcess,
} from './faults-harness.ts';
import type tasks from './fixtures/tasks.ts';

requireRedis();

test('a task that crashes its thread: ERR_TANDEM_WORKER_CRASHED, as locally; the worker keeps serving', {
  skip: noRedis,
  timeout: 60_000,
}, async (t) => {
  const redis = await redisFor(t);
  const queue = queueName('crash');
  const worker = await workerProcess(t, redis.url, queue);
  const engine = await producerFor(t, redis.url, queue);
  const local = await Engine.start<typeof tasks>({
    tasks: new URL('./fixtures/tasks.ts', import.meta.url),
    threads: 1,
  });
  defer(t, () => local.close());

  const remote = await engine.run('crash', undefined).then(
    () => assert.fail('the crash task resolved'),
    (error: unknown) => error,
  );
  const here = await local.run('crash', undefined).then(
    () => assert.fail('the crash task resolved locally'),
    (error: unknown) => error,
  );
  for (const error of [remote, here]) {
    assert.ok(error instanceof WorkerCrashedError, String(error));
    assert.equal(error.code, 'ERR_TANDEM_WORKER_CRASHED');
    assert.equal(error.task, 'crash');
  }

  // The same process, a new thread.
  assert.equal(await engine.run('pid', undefined), worker.pid);
  assert.equal(await engine.run('square', 12), 144);
  assert.equal(worker.child.exitCode, null);
});
