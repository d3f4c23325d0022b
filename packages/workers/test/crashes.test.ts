import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { type TasksOf, WorkerPool } from '@tandem/workers';
import type crashTasks from './fixtures/crash.ts';
import type loadFlagTasks from './fixtures/load-flag.ts';
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

/** What fixtures/load-flag.ts does as it loads in this process's workers: 'throw', or 'lean'. */
const loadFlag = join(tmpdir(), `tandem-load-flag-${process.pid}`);
/** Where it logs each load, `<ms> <mode>` a line, once the file exists. */
const loadLog = `${loadFlag}.loads`;

/** A pool of fixtures/load-flag.ts; the flag and the log are removed after the test. */
async function startLoadFlag(t: TestContext, threads: number) {
  const pool = await WorkerPool.start<TasksOf<typeof loadFlagTasks>>({
    tasks: fixture('load-flag'),
    threads,
  });
  t.after(async () => {
    rmSync(loadFlag, { force: true });
    rmSync(loadLog, { force: true });
    await pool.destroy();
  });
  return pool;
}

type LoadFlagPool = Awaited<ReturnType<typeof startLoadFlag>>;

/**
 * A pool of two whose module cannot load from now on (each load logged), and one of whose
 * workers has just died: Piscina is starting its replacement.
 */
async function crashWhileUnloadable(t: TestContext): Promise<LoadFlagPool> {
  const pool = await startLoadFlag(t, 2);
  writeFileSync(loadFlag, 'throw');
  writeFileSync(loadLog, '');
  await assert.rejects(pool.run('exit', 3), { code: 'ERR_TANDEM_WORKER_CRASHED' });
  return pool;
}

/** Resolves once both workers of `pool` have answered a task. */
async function bothWorkersAnswer(pool: LoadFlagPool): Promise<void> {
  const threads = new Set<number>();
  while (threads.size < 2) {
    for (const id of await Promise.all(Array.from({ length: 20 }, () => pool.run('spin', 1)))) {
      threads.add(id as number);
    }
  }
}

/** The loads logged so far. */
function loads(): { at: number; mode: string }[] {
  return readFileSync(loadLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [at, mode = ''] = line.split(' ');
      return { at: Number(at), mode };
    });
}

/** The first `count` loads logged, once there are that many. */
async function loadsLogged(count: number): Promise<{ at: number; mode: string }[]> {
  for (;;) {
    const logged = loads();
    if (logged.length >= count) return logged.slice(0, count);
    await delay(5);
  }
}

test('a worker that replaced a dead one and cannot load the module takes no task: its tasks run elsewhere, and a later one serves', {
  timeout: 30_000,
}, async (t) => {
  const pool = await crashWhileUnloadable(t);
  // Bursts of 100 tasks of 2 ms until the replacement has failed to load (it may start late on
  // a busy machine): it arrives, fails, and is given some of them.
  const failed: string[] = [];
  do {
    const burst = await Promise.allSettled(Array.from({ length: 100 }, () => pool.run('spin', 2)));
    for (const outcome of burst)
      if (outcome.status === 'rejected') failed.push(outcome.reason.code);
  } while (loads().length === 0);
  assert.deepEqual(failed, []);
  assert.equal(loads()[0]!.mode, 'throw');
  rmSync(loadFlag);
  // Once the cause is gone, the next replacement loads: both workers answer again.
  await bothWorkersAnswer(pool);
  const stats = pool.stats();
  assert.equal(stats.broken, false);
  assert.ok(stats.workersReplaced >= 2, `${stats.workersReplaced} replaced`);
});

test('workers that keep failing to load the module break the pool, with the load error as cause', async (t) => {
  const pool = await startLoadFlag(t, 1);
  writeFileSync(loadFlag, 'throw');
  await assert.rejects(pool.run('exit', 3), { code: 'ERR_TANDEM_WORKER_CRASHED' });
  // The queued task waits while replacements are tried (0.1 s, then 1 s apart), then fails.
  await assert.rejects(
    pool.run('threadId', undefined),
    (error: Error & { code: string; cause: unknown }) => {
      assert.equal(error.code, 'ERR_TANDEM_POOL_BROKEN');
      assert.match(error.message, /3 workers in a row could not load the task module/);
      const cause = error.cause as Error & { code: string; cause: Error };
      assert.equal(cause.code, 'ERR_TANDEM_TASK_MODULE_LOAD');
      assert.match(cause.cause.message, /the config file is being rewritten/);
      return true;
    },
  );
  assert.equal(pool.stats().broken, true);
  // Both settled tasks are counted: the crash, and the queued task the break failed.
  assert.deepEqual([pool.stats().completed, pool.stats().failed, pool.stats().crashed], [0, 2, 1]);
  await assert.rejects(pool.run('threadId', undefined), { code: 'ERR_TANDEM_POOL_BROKEN' });
});

// Before, a worker that could not load and held no task was ended at once, as soon as any
// task ended elsewhere: three replacements were tried in a fraction of a second, and the pool
// broke for a cause that lasted less.
test('an idle worker that cannot load the module is ended after its pause: a cause gone within it leaves the pool whole', {
  timeout: 30_000,
}, async (t) => {
  const pool = await crashWhileUnloadable(t);
  // The other worker keeps answering one task at a time, so nothing is queued: each
  // replacement that fails to load holds nothing while it waits to be ended.
  let serving = true;
  const served = (async () => {
    while (serving) await pool.run('spin', 1);
  })();
  await loadsLogged(2);
  rmSync(loadFlag);
  const [first, second, third] = await loadsLogged(3);
  serving = false;
  await served;
  assert.deepEqual([first!.mode, second!.mode, third!.mode], ['throw', 'throw', '']);
  assert.ok(second!.at - first!.at >= 100, `${second!.at - first!.at} ms after the first`);
  assert.ok(third!.at - second!.at >= 1_000, `${third!.at - second!.at} ms after the second`);
  await bothWorkersAnswer(pool);
  assert.equal(pool.stats().broken, false);
});

test('a task named like an Object.prototype method, missing in a worker started later, rejects there as unknown', async (t) => {
  const pool = await startLoadFlag(t, 1);
  assert.equal(await pool.run('toString', undefined), 'the task');
  writeFileSync(loadFlag, 'lean');
  await assert.rejects(pool.run('exit', 3), { code: 'ERR_TANDEM_WORKER_CRASHED' });
  // The replacement's module has no `toString` task: Object.prototype's must not run instead.
  await assert.rejects(pool.run('toString', undefined), {
    code: 'ERR_TANDEM_UNKNOWN_TASK',
    message: /in worker thread/,
  });
});
