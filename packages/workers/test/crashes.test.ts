import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type TasksOf, WorkerPool } from '@tandem/workers';
import type crashTasks from './fixtures/crash.ts';
import { fixture } from './gate.ts';
import { isolated } from './isolated.ts';

type CrashTasks = TasksOf<typeof crashTasks>;

const start = (extra = {}) =>
  WorkerPool.start<CrashTasks>({ tasks: fixture('crash'), threads: 1, ...extra });

test('a task that calls process.exit() rejects with WorkerCrashedError and its exit code; the queue goes on', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  const crashing = pool.run('exitMidTask', 3);
  const queued = [pool.run('ok', 1), pool.run('ok', 2), pool.run('ok', 3)];
  await assert.rejects(crashing, (error: { code: string; exitCode: number; task: string }) => {
    assert.equal(error.code, 'ERR_TANDEM_WORKER_CRASHED');
    assert.equal(error.exitCode, 3);
    assert.equal(error.task, 'exitMidTask');
    return true;
  });
  assert.deepEqual(await Promise.all(queued), [2, 4, 6]);
  assert.equal(pool.stats().crashed, 1);
  assert.equal(pool.stats().workersReplaced, 1);
});

test('a worker dies under a task in a process only the pool keeps alive: every task settles, the process ends by itself (child processes)', async () => {
  // The worker's port closes as it dies, before its exit is reported: five runs, since whether
  // anything else held the process in between is a matter of timing.
  const runs = await Promise.all(
    Array.from({ length: 5 }, () => isolated(fixture('crash-alone-run'))),
  );
  for (const child of runs) {
    assert.equal(child.status, 0, `exit ${child.status}: ${child.stderr}`);
    assert.deepEqual(child.result, {
      crashed: 'ERR_TANDEM_WORKER_CRASHED',
      after: 42,
      outcomes: ['ERR_TANDEM_WORKER_CRASHED', 2, 4],
    });
  }
});

test('an exception thrown from a timer crashes the worker: WorkerCrashedError with the error as cause', async (t) => {
  const pool = await start();
  t.after(() => pool.destroy());
  await assert.rejects(
    pool.run('throwFromTimer', undefined),
    (error: { code: string; cause: Error }) => {
      assert.equal(error.code, 'ERR_TANDEM_WORKER_CRASHED');
      assert.equal(error.cause.message, 'thrown from a timer');
      return true;
    },
  );
  assert.equal(await pool.run('ok', 5), 10);
});

test('a task that exceeds resourceLimits rejects with WorkerCrashedError (out of memory)', async (t) => {
  const pool = await start({
    resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 },
  });
  t.after(() => pool.destroy());
  await assert.rejects(
    pool.run('exhaustHeap', undefined),
    (error: { code: string; cause: { code: string } }) => {
      assert.equal(error.code, 'ERR_TANDEM_WORKER_CRASHED');
      assert.equal(error.cause.code, 'ERR_WORKER_OUT_OF_MEMORY');
      return true;
    },
  );
  assert.equal(await pool.run('ok', 4), 8);
});

test('a task module that throws at import fails start() with ERR_TANDEM_TASK_MODULE_LOAD, not a hang', async () => {
  await assert.rejects(
    WorkerPool.start({ tasks: fixture('throws-at-import'), threads: 1 }),
    (error: { code: string; cause: Error }) => {
      assert.equal(error.code, 'ERR_TANDEM_TASK_MODULE_LOAD');
      assert.equal(error.cause.message, 'this task module is broken on purpose');
      return true;
    },
  );
});

test('a missing task module fails start() with ERR_TANDEM_TASK_MODULE_LOAD', async () => {
  await assert.rejects(WorkerPool.start({ tasks: fixture('does-not-exist'), threads: 1 }), {
    code: 'ERR_TANDEM_TASK_MODULE_LOAD',
  });
});

test('a module without defineTasks fails start() with ERR_TANDEM_INVALID_TASK_MODULE', async () => {
  await assert.rejects(WorkerPool.start({ tasks: fixture('not-a-task-module'), threads: 1 }), {
    code: 'ERR_TANDEM_INVALID_TASK_MODULE',
  });
});

test('tasks that finished beside a crashing task in the same worker are not lost', async (t) => {
  // Four tasks per worker: the first `ok` goes alone to the idle worker, the next four (two
  // names) in one message once it answers, the crashing task in the middle of it; the
  // survivors in a third. Tasks of one name per message would take at least four.
  const pool = await start({ concurrentTasksPerWorker: 4 });
  t.after(() => pool.destroy());
  const calls = [
    pool.run('ok', 1),
    pool.run('ok', 2),
    pool.run('exitMidTask', 9),
    pool.run('ok', 3),
    pool.run('ok', 4),
  ];
  const results = await Promise.allSettled(calls);
  const values = results.map((r) =>
    r.status === 'fulfilled' ? r.value : (r.reason as { code: string }).code,
  );
  assert.deepEqual(values, [2, 4, 'ERR_TANDEM_WORKER_CRASHED', 6, 8]);
  assert.equal(pool.stats().crashed, 1);
  assert.ok(pool.stats().messages <= 3, `${pool.stats().messages} messages`);
});
