// What a worker does with each kind of job: startWorker in this process, jobs put on the queue
// by a bare BullMQ producer in Tandem's wire format, outcomes read as the producer reads them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestRedis, type TestRedis } from '../../../scripts/redis/test-redis.ts';
import { makeGate } from './support/gate.ts';
import { type RawProducer, rawProducer } from './support/raw-producer.ts';
import { deferrer, noRedis, reportMissingRedis } from './support/redis.ts';
import { testWorker } from './support/worker.ts';

reportMissingRedis();

let redis: TestRedis;
if (noRedis === false) {
  before(async () => {
    redis = await startTestRedis();
  });
  after(() => redis.stop());
}

let queues = 0;
/** A worker and a producer on a queue of the test's own. */
async function setup(
  t: { after(fn: () => unknown): void },
  options: Parameters<typeof testWorker>[3] = {},
): Promise<{ producer: RawProducer; defer: (fn: () => unknown) => void }> {
  const defer = deferrer(t);
  const queue = `jobs${++queues}`;
  const producer = await rawProducer(redis.url, queue);
  defer(() => producer.close());
  await testWorker(defer, redis.url, queue, options);
  return { producer, defer };
}

const options = { skip: noRedis, timeout: 60_000 };

test('a job runs on the local engine and its result comes back decoded', options, async (t) => {
  const { producer } = await setup(t);
  const id = await producer.add('square', 12);
  assert.deepEqual(await producer.outcome(id), { status: 'completed', value: 144 });
});

test('a batch comes back as a BatchOutcome, failed items by index', options, async (t) => {
  const { producer } = await setup(t);
  const id = await producer.add('square', [1, 2, 3], { data: { b: 1 } });
  const outcome = await producer.outcome(id);
  assert.deepEqual(outcome, { status: 'completed', value: { values: [1, 4, 9], errors: [] } });
  const failing = await producer.add('fail', [{ code: 'E_ONE', message: 'one' }], {
    data: { b: 1 },
  });
  const failed = (await producer.outcome(failing)) as {
    value: { errors: [number, { code: string }][] };
  };
  assert.equal(failed.value.errors[0]?.[0], 0);
  assert.equal(failed.value.errors[0]?.[1].code, 'E_ONE');
});

test('an unknown task fails at once, not retried even with attempts: 3', options, async (t) => {
  const { producer } = await setup(t);
  const id = await producer.add('noSuchTask', 1, { job: { attempts: 3 } });
  const outcome = await producer.outcome(id);
  assert.equal(outcome.status, 'failed');
  assert.equal((outcome as { error: { code: string } }).error.code, 'ERR_TANDEM_UNKNOWN_TASK');
  assert.equal((await producer.queue.getJob(id))?.attemptsMade, 1);
});

test('an input over maxPayloadBytes is refused before it is decoded', options, async (t) => {
  const { producer } = await setup(t, { maxPayloadBytes: 1024 });
  // Not decodable at all: a decode would fail with ERR_TANDEM_WIRE_FORMAT instead.
  const garbage = Buffer.alloc(2048, 0xff).toString('base64');
  const id = await producer.add('square', 0, { data: { i: garbage }, job: { attempts: 3 } });
  const outcome = (await producer.outcome(id)) as { error: { code: string; what: string } };
  assert.equal(outcome.error.code, 'ERR_TANDEM_PAYLOAD_TOO_LARGE');
  assert.equal(outcome.error.what, 'input');
  assert.equal((await producer.queue.getJob(id))?.attemptsMade, 1);
});

test(
  'a result or progress value over maxPayloadBytes fails the job, unrecoverable',
  options,
  async (t) => {
    const { producer } = await setup(t, { maxPayloadBytes: 1024 });
    const id = await producer.add('big', 2000, { job: { attempts: 3 } });
    const outcome = (await producer.outcome(id)) as { error: { code: string; what: string } };
    assert.equal(outcome.error.code, 'ERR_TANDEM_PAYLOAD_TOO_LARGE');
    assert.equal(outcome.error.what, 'result');
    assert.equal((await producer.queue.getJob(id))?.attemptsMade, 1);
    // A progress value over the limit ends the run the same way.
    const noisy = await producer.add('bigProgress', 2000, { data: { p: 1 }, job: { attempts: 3 } });
    const failed = (await producer.outcome(noisy)) as { error: { code: string; what: string } };
    assert.equal(failed.error.code, 'ERR_TANDEM_PAYLOAD_TOO_LARGE');
    assert.equal(failed.error.what, 'progress');
    assert.equal((await producer.queue.getJob(noisy))?.attemptsMade, 1);
  },
);

test('another wire version fails with WireFormatError, unrecoverable', options, async (t) => {
  const { producer } = await setup(t);
  const id = await producer.add('square', 2, { data: { v: 2 }, job: { attempts: 3 } });
  const outcome = (await producer.outcome(id)) as { error: { code: string } };
  assert.equal(outcome.error.code, 'ERR_TANDEM_WIRE_FORMAT');
  assert.equal((await producer.queue.getJob(id))?.attemptsMade, 1);
});

test('undecodable input fails with WireFormatError', options, async (t) => {
  const { producer } = await setup(t);
  const id = await producer.add('square', 2, { data: { i: '!!!not base64 v8!!!' } });
  const outcome = (await producer.outcome(id)) as { error: { code: string } };
  assert.equal(outcome.error.code, 'ERR_TANDEM_WIRE_FORMAT');
});

test(
  "a task's own error keeps its code and cause, and is retried when attempts allow",
  options,
  async (t) => {
    const { producer } = await setup(t);
    const id = await producer.add(
      'fail',
      { code: 'E_MINE', message: 'mine' },
      { job: { attempts: 2 } },
    );
    const outcome = (await producer.outcome(id)) as { error: Error & { code: string } };
    assert.equal(outcome.error.code, 'E_MINE');
    assert.equal((outcome.error.cause as Error).name, 'TypeError');
    assert.equal((await producer.queue.getJob(id))?.attemptsMade, 2);
  },
);

test(
  'a thread crash fails the job with WorkerCrashedError, and the worker serves the next job',
  options,
  async (t) => {
    const { producer } = await setup(t);
    const id = await producer.add('crash', null);
    const outcome = (await producer.outcome(id)) as { error: Error & { code: string } };
    assert.equal(outcome.error.code, 'ERR_TANDEM_WORKER_CRASHED');
    assert.equal(outcome.error.name, 'WorkerCrashedError');
    const next = await producer.add('square', 3);
    assert.deepEqual(await producer.outcome(next), { status: 'completed', value: 9 });
    // Retryable: with attempts 2 it runs twice.
    const twice = await producer.add('crash', null, { job: { attempts: 2 } });
    await producer.outcome(twice);
    assert.equal((await producer.queue.getJob(twice))?.attemptsMade, 2);
  },
);

test(
  'timeout (t) and a past deadline (d) fail with TaskTimeoutError, unrecoverable',
  options,
  async (t) => {
    const { producer } = await setup(t);
    const gate = makeGate();
    t.after(() => gate.remove());
    const slow = await producer.add(
      'hold',
      { gate: gate.dir, tag: 't' },
      { data: { t: 50 }, job: { attempts: 3 } },
    );
    const timedOut = (await producer.outcome(slow)) as { error: { code: string; kind: string } };
    assert.equal(timedOut.error.code, 'ERR_TANDEM_TASK_TIMEOUT');
    assert.equal(timedOut.error.kind, 'timeout');
    assert.equal((await producer.queue.getJob(slow))?.attemptsMade, 1);
    const late = await producer.add('square', 2, {
      data: { d: Date.now() - 1 },
      job: { attempts: 3 },
    });
    const expired = (await producer.outcome(late)) as { error: { code: string; kind: string } };
    assert.equal(expired.error.code, 'ERR_TANDEM_TASK_TIMEOUT');
    assert.equal(expired.error.kind, 'deadline');
    assert.equal((await producer.queue.getJob(late))?.attemptsMade, 1);
  },
);

test(
  'progress reaches the producer throttled, the last value before completed',
  options,
  async (t) => {
    const { producer } = await setup(t);
    const id = await producer.add('progress', 200, { data: { p: 1 } });
    const outcome = await producer.outcome(id);
    const seen = producer.progressAtOutcome(id);
    assert.deepEqual(outcome, { status: 'completed', value: 200 });
    assert.equal(seen.at(-1), 200, 'the last value, before completed');
    assert.ok(seen.length < 200, `throttled: ${seen.length} values sent for 200`);
    assert.deepEqual(
      [...seen].sort((a, b) => (a as number) - (b as number)),
      seen,
      'in order',
    );
    // Without p, nothing is sent.
    const quiet = await producer.add('progress', 5);
    await producer.outcome(quiet);
    assert.deepEqual(producer.progress(quiet), []);
  },
);

test(
  'a cancel published by the producer reaches ctx.signal of the running task',
  options,
  async (t) => {
    const { producer } = await setup(t);
    const gate = makeGate();
    t.after(() => gate.remove());
    const id = await producer.add('hold', { gate: gate.dir, tag: 'c' }, { job: { attempts: 3 } });
    await gate.started('c');
    await producer.cancel(id);
    // The gate never opens: only the signal can end the task.
    const outcome = (await producer.outcome(id)) as { error: { code: string } };
    assert.equal(outcome.error.code, 'ERR_TANDEM_CANCELLED');
    assert.equal((await producer.queue.getJob(id))?.attemptsMade, 1, 'not retried');
  },
);

test('a worker registers itself, and removes itself on close', options, async (t) => {
  const defer = deferrer(t);
  const producer = await rawProducer(redis.url, 'registry');
  defer(() => producer.close());
  const worker = await testWorker(defer, redis.url, 'registry', { threads: 2 });
  const entry = JSON.parse((await producer.redis.hget(producer.keys.workers, worker.id)) ?? 'null');
  assert.equal(entry.threads, 2);
  assert.equal(entry.concurrency, 4);
  assert.equal(entry.pid, process.pid);
  assert.ok(entry.names.includes('square'));
  const alive = Number(await producer.redis.zscore(producer.keys.alive, worker.id));
  assert.ok(alive > Date.now(), 'live');
  await worker.close();
  assert.equal(await producer.redis.hget(producer.keys.workers, worker.id), null);
  assert.equal(await producer.redis.zscore(producer.keys.alive, worker.id), null);
});

test(
  'a subscriber that reconnects reads the cancel flags of the jobs it runs',
  options,
  async (t) => {
    const { producer } = await setup(t);
    const gate = makeGate();
    t.after(() => gate.remove());
    const id = await producer.add('hold', { gate: gate.dir, tag: 'f' });
    await gate.started('f');
    // The flag alone, as if its publish had been lost while the subscriber was away.
    await producer.redis.set(producer.keys.cancelKey + id, '1', 'PX', 60_000);
    await producer.redis.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    const outcome = (await producer.outcome(id)) as { error: { code: string } };
    assert.equal(outcome.error.code, 'ERR_TANDEM_CANCELLED');
  },
);

test(
  'a lost lock cancels the local run; the job runs again once it stalled',
  options,
  async (t) => {
    const errors: unknown[] = [];
    const { producer } = await setup(t, {
      lockDuration: 2000,
      stalledInterval: 1000,
      onError: (e) => errors.push(e),
    });
    const gate = makeGate();
    t.after(() => gate.remove());
    const id = await producer.add('hold', { gate: gate.dir, tag: 'l' });
    await gate.started('l');
    // As if another worker had taken the job: the next renewal fails.
    await producer.redis.del(`bull:${producer.queue.name}:${id}:lock`);
    assert.equal(await gate.aborted('l'), process.pid, 'the local run saw its signal');
    gate.open();
    assert.deepEqual(await producer.outcome(id), {
      status: 'completed',
      value: { tag: 'l', pid: process.pid },
    });
    assert.equal((await producer.queue.getJob(id))?.stalledCounter, 1);
    assert.ok(errors.length > 0, 'the lost lock was reported');
  },
);

test(
  'a cancel published before the job starts here stops it before it runs',
  options,
  async (t) => {
    const { producer } = await setup(t);
    const gate = makeGate();
    t.after(() => gate.remove());
    const id = 'r-cancelled-early';
    await producer.cancel(id);
    // The subscriber has seen it once a later publish on the same channel has gone through.
    await producer.redis.publish(producer.keys.cancelChannel, 'r-other');
    await producer.add('hold', { gate: gate.dir, tag: 'e' }, { id });
    const outcome = (await producer.outcome(id)) as { error: { code: string } };
    assert.equal(outcome.error.code, 'ERR_TANDEM_CANCELLED');
    assert.deepEqual(gate.startedBy('e'), [], 'never started');
  },
);

test('a worker takes only its own version and prefix', options, async (t) => {
  const defer = deferrer(t);
  const v1 = await rawProducer(redis.url, 'versions', '1', 'tq');
  defer(() => v1.close());
  const v2 = await rawProducer(redis.url, 'versions', '2', 'tq');
  defer(() => v2.close());
  await testWorker(defer, redis.url, 'versions', { version: '2', prefix: 'tq' });
  const old = await v1.add('square', 1);
  const current = await v2.add('square', 2);
  assert.deepEqual(await v2.outcome(current), { status: 'completed', value: 4 });
  assert.equal(await v1.queue.getJobState(old), 'waiting');
});

test('close and destroy are idempotent, together too', options, async (t) => {
  const defer = deferrer(t);
  const worker = await testWorker(defer, redis.url, 'twice');
  await Promise.all([worker.close(), worker.destroy(), worker.close(), worker.destroy()]);
  await worker.close();
  await worker.destroy();
  await assert.rejects(worker.engine.run('square', 2), { code: 'ERR_TANDEM_POOL_CLOSED' });
});
