import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkerPool } from '@tandem/workers';
import { fixture } from './gate.ts';

test('a pool whose replacement workers die while loading breaks: queued and later tasks reject with ERR_TANDEM_POOL_BROKEN', async (t) => {
  const pool = await WorkerPool.start({ tasks: fixture('exits-when-told'), threads: 1 });
  t.after(() => pool.destroy());
  t.after(() => {
    delete process.env.TANDEM_TEST_EXIT_AT_LOAD;
  });
  assert.equal(await pool.run('echo', 'alive'), 'alive');
  // From now on every new worker exits while loading the module.
  process.env.TANDEM_TEST_EXIT_AT_LOAD = '1';
  const crash = pool.run('exit', 1);
  const queued = [pool.run('echo', 'a'), pool.run('echo', 'b')];
  await assert.rejects(crash, { code: 'ERR_TANDEM_WORKER_CRASHED' });
  for (const task of queued) await assert.rejects(task, { code: 'ERR_TANDEM_POOL_BROKEN' });
  await assert.rejects(pool.run('echo', 'later'), (error: Error & { code: string }) => {
    assert.equal(error.code, 'ERR_TANDEM_POOL_BROKEN');
    assert.equal((error.cause as { exitCode?: number }).exitCode, 3);
    return true;
  });
  assert.equal(pool.stats().broken, true);
  await pool.close();
});

test('a module that exits at top level fails start with ERR_TANDEM_TASK_MODULE_LOAD', async () => {
  await assert.rejects(WorkerPool.start({ tasks: fixture('exits-at-load'), threads: 1 }), {
    code: 'ERR_TANDEM_TASK_MODULE_LOAD',
  });
});

test('a module whose top-level await never resolves fails start after startTimeout', async () => {
  await assert.rejects(
    WorkerPool.start({ tasks: fixture('never-loads'), threads: 1, startTimeout: 200 }),
    { code: 'ERR_TANDEM_START_TIMEOUT', timeout: 200 },
  );
});

test('start takes a signal: aborting it abandons the start with signal.reason', async () => {
  const controller = new AbortController();
  const starting = WorkerPool.start({
    tasks: fixture('never-loads'),
    threads: 1,
    signal: controller.signal,
  });
  controller.abort(new Error('not any more'));
  await assert.rejects(starting, { message: 'not any more' });
  const aborted = AbortSignal.abort(new Error('already'));
  await assert.rejects(
    WorkerPool.start({ tasks: fixture('never-loads'), threads: 1, signal: aborted }),
    { message: 'already' },
  );
});
