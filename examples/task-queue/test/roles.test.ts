// Two machines, simulated: worker processes started with --role worker and a producer with
// --role producer, in separate processes sharing nothing but one Redis URL (the README's recipe).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { test } from 'node:test';
import { startTestRedis } from '../../../scripts/redis/test-redis.ts';
import { grouped, noRedis, primesBelow, startCli } from './support/cli.ts';

test('--role worker ×2 and --role producer on one Redis: right results, workers stop with exit 0', {
  skip: noRedis,
  timeout: 120_000,
}, async (t) => {
  const redis = await startTestRedis();
  t.after(() => redis.stop());
  const queue = ['--queue', 'roles-test'];
  const workers = [1, 2].map(() =>
    startCli(t, ['--role', 'worker', '--redis', redis.url, '--threads', '1', ...queue]),
  );
  const ready = await Promise.all(
    workers.map((w) => w.line(/^worker ready \S+ pid=(\d+) threads=1 queue=roles-test$/)),
  );
  const workerPids = ready.map((m) => Number(m[1]));

  const jobs = 10;
  const size = 30_000;
  // The URL through the environment, as a password would travel.
  const env = { ...process.env, TANDEM_REDIS_URL: redis.url };
  const producer = await startCli(
    t,
    ['--role', 'producer', '--jobs', String(jobs), '--size', String(size), ...queue],
    env,
  ).exited;
  const output = producer.stdout + producer.stderr;
  assert.equal(producer.code, 0, output);
  assert.match(
    producer.stdout,
    new RegExp(`primes below ${grouped(jobs * size)}: ${grouped(primesBelow(jobs * size))}\\n`),
  );
  const ran = [...producer.stdout.matchAll(/\(worker pid (\d+),/g)].map((m) => Number(m[1]));
  assert.equal(ran.length, jobs);
  for (const pid of ran)
    assert.ok(workerPids.includes(pid), `job ran on ${pid}, not a worker of this test`);

  for (const worker of workers) worker.child.kill('SIGTERM');
  for (const worker of workers) {
    const result = await worker.exited;
    assert.equal(result.code, 0, result.stdout + result.stderr);
  }
});

test('--role worker with no Redis at the URL: exit 1 with the reason, no stack trace', {
  timeout: 60_000,
}, async (t) => {
  // A port just released: nothing listens there.
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  const result = await startCli(t, ['--role', 'worker', '--redis', `redis://127.0.0.1:${port}`])
    .exited;
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(result.stderr, /^task-queue: /m);
  assert.doesNotMatch(result.stderr, /^\s+at /m);
});
