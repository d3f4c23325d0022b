// Hostile and careless use of coalesced dispatch (issue 9): bursts with aborts at every
// instant, messages whose tasks end every way at once, transfers, inputs that fail only at
// postMessage, full queues, fixed settings, stray errors, close/destroy mid-burst, stealing.
// Each case runs in a child process (fixtures/dispatch-hostile-run.ts) under a timeout: it
// must exit, settle every promise as expected (values exact, errors coded) and leave the pool
// with nothing queued or in workers. Numbers the child reports are printed, never asserted.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isolated } from './isolated.ts';

const runner = new URL('./fixtures/dispatch-hostile-run.ts', import.meta.url);

async function check(name: string, args: string[] = [], timeout = 30_000): Promise<void> {
  const child = await isolated(runner, [name, ...args], timeout);
  assert.equal(child.signal, null, `${name}: the child did not hang (killed after ${timeout} ms)`);
  assert.equal(child.status, 0, `${name}: the child exits cleanly (stderr: ${child.stderr})`);
  assert.ok(child.result !== undefined, `${name}: the child reports (stdout: ${child.stdout})`);
  assert.deepEqual(child.result.problems, [], name);
  for (const end of child.result.ends) {
    assert.equal(end.inWorkers, 0, `${end.label}: inWorkers`);
    assert.equal(end.queued, 0, `${end.label}: queued`);
  }
  if (process.env.DISPATCH_HOSTILE_NOTES) console.log(name, JSON.stringify(child.result.notes));
}

describe('dispatch under hostile use', () => {
  test('10k calls in one job, three names, aborts sync / in a microtask / after setImmediate, timeout 0, deadline 0, Infinity', () =>
    check('burst', [], 60_000));
  test('aborts while queued, in transit, beside a blocked task of the same message, after the answer', () =>
    check('instants'));
  test('one message: exit, throw, function result, moveResult, hang: each its own outcome', () =>
    check('fates'));
  test('a task running async beside one that exits settles (crashed: it was running)', () =>
    check('fatesHangFirst'));
  test('transferred inputs coalesced; transferred tasks behind a blocked worker complete', () =>
    check('transfer'));
  // A buffer detached between run() and dispatch used to be posted as an empty ArrayBuffer
  // (postMessage does that for a detached buffer in its transfer list).
  test('the same buffer transferred by two calls: the second fails coded, never gets it empty', () =>
    check('sameBuffer'));
  test('results structured clone refuses after the check: only those fail, coded, alone or in one message', () =>
    check('lateRefusal'));
  test('inputs that pass the pre-check but fail postMessage fail alone inside a large group', () =>
    check('postFail'));
  test('getters past the check of a large input destroy, close, re-enter or abort during the send: all settle', () =>
    check('duringSend', [], 60_000));
  test("onFull 'reject', maxQueue 1, 1,000 at once: refusals at once, the accepted complete", () =>
    check('queueReject'));
  test("onFull 'wait', maxQueue 1, 5,000 at once: all complete", () => check('queueWait'));
  test('concurrentTasksPerWorker 1 / 2 / 1024 / auto × threads 1-3 with a blocked worker', () =>
    check('perWorker', [], 90_000));
  test('a plain and an async task throwing from a timer on calls 1 and 2: crashed, no hang', () =>
    check('strays'));
  for (const name of ['closeMid', 'destroyMid', 'closeThen', 'destroyThen']) {
    test(`${name}: a 100k burst, every promise settles (value or PoolDestroyedError)`, () =>
      check(name, [], 60_000));
  }
  // It used to wait for the whole message: after `grace` the worker was ended and its running
  // neighbours failed as crashed.
  test('a task of one message that honours its abort rejects at once; its neighbours live on', () =>
    check('cancelBesideAsync'));
  test('tasks waiting in a blocked worker are taken back by the one that frees up', () =>
    check('steal'));
  test('cost whiplash (0 ms / 300 ms under one name): completes; waits reported', async () => {
    await check('whiplash');
    await check('whiplashFixed1');
  });

  // Defects found here, now fixed (see each case in the runner and the report of issue 9).
  // A message used to be answered once all its tasks settled: the first promise of a name seen
  // only returning values held its neighbours until it settled (here, until it is aborted).
  test('the finished tasks of a message do not wait for a hanging async neighbour', () =>
    check('fates', ['innocents-first'], 8_000));
  test('async tasks of one message settle as each ends, with its own value or error; a later crash changes none', () =>
    check('asyncNeighbours', [], 20_000));
  test('early outcomes attacked: aborts before and after, a timeout, destroy() and close() under a hanging task', () =>
    check('earlyHostile', [], 20_000));
});
