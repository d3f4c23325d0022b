// Worker processes that die, are told to stop, or come late: real tandem-worker processes
// (fixtures/worker-process.ts) on a real Redis, jobs from a bare BullMQ producer.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestRedis } from '../../../scripts/redis/test-redis.ts';
import { spawnWorker } from './fixtures/worker-process.ts';
import { makeGate } from './support/gate.ts';
import { rawProducer } from './support/raw-producer.ts';
import { deferrer, noRedis, reportMissingRedis } from './support/redis.ts';
import { testWorker } from './support/worker.ts';

reportMissingRedis();

const BREAKABLE = fileURLToPath(new URL('./fixtures/breakable.ts', import.meta.url));

// Short locks so that a dead worker's job is taken back within seconds.
const fast = { lockDuration: 2000, stalledInterval: 1000 };
const options = { skip: noRedis, timeout: 120_000 };

async function setup(t: { after(fn: () => unknown): void }, queue: string) {
  const defer = deferrer(t);
  const redis = await startTestRedis();
  defer(() => redis.stop());
  const producer = await rawProducer(redis.url, queue);
  defer(() => producer.close());
  const gate = makeGate();
  defer(() => gate.remove());
  return { defer, redis, producer, gate };
}

test('kill -9 of a worker mid-job: the job completes on the other worker', options, async (t) => {
  const { defer, redis, producer, gate } = await setup(t, 'kill');
  const workers = [1, 2].map(() =>
    spawnWorker({ redisUrl: redis.url, queue: 'kill', threads: 1, ...fast }),
  );
  for (const worker of workers) defer(() => worker.stop());
  await Promise.all(workers.map((w) => w.ready));
  const id = await producer.add('hold', { gate: gate.dir, tag: 'k' });
  const ranOn = await gate.started('k');
  const victim = workers.find((w) => w.pid === ranOn)!;
  const survivor = workers.find((w) => w !== victim)!;
  // Open now: the run that comes after the kill finishes at once.
  gate.open();
  const killed = performance.now();
  victim.kill('SIGKILL');
  const outcome = await producer.outcome(id);
  const recovery = performance.now() - killed;
  assert.deepEqual(outcome, { status: 'completed', value: { tag: 'k', pid: survivor.pid } });
  assert.equal(await victim.exited, null);
  const job = await producer.queue.getJob(id);
  // A stall is not an attempt: the one finished run is the only one counted.
  assert.equal(job?.attemptsMade, 1);
  assert.equal(job?.stalledCounter, 1);
  t.diagnostic(
    `kill -9 → completed on the other worker: ${Math.round(recovery)} ms (lockDuration ${fast.lockDuration}, stalledInterval ${fast.stalledInterval})`,
  );
});

test(
  'a job recovered after its worker died reads the cancel flag set meanwhile',
  options,
  async (t) => {
    const { defer, redis, producer, gate } = await setup(t, 'recovered');
    const first = spawnWorker({ redisUrl: redis.url, queue: 'recovered', threads: 1, ...fast });
    defer(() => first.stop());
    await first.ready;
    const id = await producer.add('hold', { gate: gate.dir, tag: 'r' }, { job: { attempts: 3 } });
    assert.equal(await gate.started('r'), first.pid);
    first.kill('SIGKILL');
    await first.exited;
    // Nobody hears this publish: only the flag can tell the next worker.
    await producer.cancel(id);
    await testWorker(defer, redis.url, 'recovered', fast);
    const outcome = (await producer.outcome(id)) as { error: { code: string } };
    assert.equal(outcome.error.code, 'ERR_TANDEM_CANCELLED');
    assert.deepEqual(gate.startedBy('r'), [first.pid], 'never started again');
    assert.equal((await producer.queue.getJob(id))?.stalledCounter, 1);
  },
);

test('SIGTERM: the running job finishes, then the worker exits 0', options, async (t) => {
  const { defer, redis, producer, gate } = await setup(t, 'term');
  const worker = spawnWorker({ redisUrl: redis.url, queue: 'term', threads: 1 });
  defer(() => worker.stop());
  await worker.ready;
  const id = await producer.add('hold', { gate: gate.dir, tag: 's' });
  await gate.started('s');
  worker.kill('SIGTERM');
  // Once the worker has said it is closing, let the job end.
  await worker.untilOutput('closing');
  gate.open();
  assert.deepEqual(await producer.outcome(id), {
    status: 'completed',
    value: { tag: 's', pid: worker.pid },
  });
  assert.equal(await worker.exited, 0);
  assert.equal(await producer.redis.hget(producer.keys.workers, worker.id), null, 'unregistered');
});

test(
  'shutdown grace over: the job is left to stall and completes on another worker',
  options,
  async (t) => {
    const { defer, redis, producer, gate } = await setup(t, 'grace');
    const leaving = spawnWorker({
      redisUrl: redis.url,
      queue: 'grace',
      threads: 1,
      shutdownGrace: 0,
      ...fast,
    });
    defer(() => leaving.stop());
    await leaving.ready;
    const id = await producer.add('hold', { gate: gate.dir, tag: 'g' });
    assert.equal(await gate.started('g'), leaving.pid);
    leaving.kill('SIGTERM');
    assert.equal(await leaving.exited, 0);
    gate.open();
    await testWorker(defer, redis.url, 'grace', fast);
    assert.deepEqual(await producer.outcome(id), {
      status: 'completed',
      value: { tag: 'g', pid: process.pid },
    });
  },
);

test(
  'threads that cannot be kept alive: the worker exits 1 without failing the job it held',
  options,
  async (t) => {
    const { defer, redis, producer, gate } = await setup(t, 'broken');
    const breaking = spawnWorker({
      redisUrl: redis.url,
      queue: 'broken',
      threads: 1,
      tasks: BREAKABLE,
      env: { TANDEM_TEST_BREAK_DIR: gate.dir },
      ...fast,
    });
    defer(() => breaking.stop());
    await breaking.ready;
    // Two attempts: the crash below takes the first one down with it (same thread).
    const held = await producer.add('hold', { gate: gate.dir, tag: 'b' }, { job: { attempts: 2 } });
    assert.equal(await gate.started('b'), breaking.pid);
    writeFileSync(join(gate.dir, 'broken'), '');
    const crash = await producer.add('crash', null);
    const crashed = (await producer.outcome(crash)) as { error: { code: string } };
    assert.equal(crashed.error.code, 'ERR_TANDEM_WORKER_CRASHED');
    assert.equal(await breaking.exited, 1);
    assert.ok(breaking.output().includes('[ERR_TANDEM_POOL_BROKEN]'), breaking.output());
    gate.open();
    await testWorker(defer, redis.url, 'broken', fast);
    assert.deepEqual(await producer.outcome(held), {
      status: 'completed',
      value: { tag: 'b', pid: process.pid },
    });
  },
);

test(
  'a Redis restart mid-job: the job completes, and the worker serves the next one',
  options,
  async (t) => {
    const { defer, redis, producer, gate } = await setup(t, 'restart');
    const errors: unknown[] = [];
    await testWorker(defer, redis.url, 'restart', { onError: (e) => errors.push(e) });
    const held = await producer.add('hold', { gate: gate.dir, tag: 'x' });
    await gate.started('x');
    await redis.restart();
    gate.open();
    assert.deepEqual(await producer.outcome(held), {
      status: 'completed',
      value: { tag: 'x', pid: process.pid },
    });
    const next = await producer.add('square', 5);
    assert.deepEqual(await producer.outcome(next), { status: 'completed', value: 25 });
  },
);

test(
  'a job that stalls more often than maxStalledCount fails with the stalled reason',
  options,
  async (t) => {
    const { defer, redis, producer, gate } = await setup(t, 'stalls');
    const strict = { ...fast, maxStalledCount: 0 };
    const first = spawnWorker({ redisUrl: redis.url, queue: 'stalls', threads: 1, ...strict });
    defer(() => first.stop());
    await first.ready;
    const id = await producer.add('hold', { gate: gate.dir, tag: 'm' });
    await gate.started('m');
    first.kill('SIGKILL');
    await first.exited;
    await testWorker(defer, redis.url, 'stalls', strict);
    const outcome = (await producer.outcome(id)) as { status: string; error: { stalled?: string } };
    assert.equal(outcome.status, 'failed');
    assert.equal(typeof outcome.error.stalled, 'string', 'readFailure reads it as a stall');
    assert.deepEqual(gate.startedBy('m'), [first.pid], 'not run again');
  },
);

test('a second signal exits at once (128 + signal), leaving the job held', options, async (t) => {
  const { defer, redis, producer, gate } = await setup(t, 'twice');
  const worker = spawnWorker({ redisUrl: redis.url, queue: 'twice', threads: 1 });
  defer(() => worker.stop());
  await worker.ready;
  const id = await producer.add('hold', { gate: gate.dir, tag: 'w' });
  await gate.started('w');
  worker.kill('SIGINT');
  await worker.untilOutput('closing');
  worker.kill('SIGTERM');
  assert.equal(await worker.exited, 128 + 15);
  assert.equal(await producer.queue.getJobState(id), 'active', 'left to stall, not failed');
});
