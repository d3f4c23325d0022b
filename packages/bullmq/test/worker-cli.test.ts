// The tandem-worker CLI as a real child process, driven by a bare BullMQ producer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestRedis } from '../../../scripts/redis/test-redis.ts';
import { spawnCli, spawnWorker, TASKS, type WorkerProcess } from './fixtures/worker-process.ts';
import { rawProducer } from './support/raw-producer.ts';
import { deferrer, noRedis, reportMissingRedis } from './support/redis.ts';

reportMissingRedis();

const THROWS_AT_LOAD = fileURLToPath(new URL('./fixtures/throws-at-load.ts', import.meta.url));

test('a CLI worker answers a job', { skip: noRedis, timeout: 60_000 }, async (t) => {
  const defer = deferrer(t);
  const redis = await startTestRedis();
  defer(() => redis.stop());
  const worker = spawnWorker({ redisUrl: redis.url, queue: 'cli', threads: 1 });
  defer(() => worker.stop());
  await worker.ready;
  assert.match(worker.id, /:\d+$/);
  const producer = await rawProducer(redis.url, 'cli');
  defer(() => producer.close());
  const id = await producer.add('square', 7);
  assert.deepEqual(await producer.outcome(id), { status: 'completed', value: 49 });
});

/** The exit code, or a failure if the process is still running after `ms` (then it is killed). */
async function exitCode(worker: WorkerProcess, ms = 30_000): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      worker.kill('SIGKILL');
      reject(new Error(`still running after ${ms} ms:\n${worker.output()}`));
    }, ms);
  });
  try {
    return await Promise.race([worker.exited, hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the built CLI with `args`; resolves with its exit code and output. */
async function run(args: string[], env: Record<string, string> = {}) {
  const worker = spawnCli(args, { dist: true, env });
  const code = await exitCode(worker);
  return { code, output: worker.output() };
}

const base = ['--tasks', TASKS, '--queue', 'q', '--redis', 'redis://127.0.0.1:1'];

test('--help lists every flag and exits 0', async () => {
  const { code, output } = await run(['--help']);
  assert.equal(code, 0);
  for (const flag of [
    '--tasks',
    '--queue',
    '--redis',
    '--queue-version',
    '--threads',
    '--concurrency',
    '--max-payload',
    '--lock-duration',
    '--stalled-interval',
    '--max-stalled-count',
    '--shutdown-grace',
  ]) {
    assert.ok(output.includes(flag), flag);
  }
});

test('bad arguments exit 2 with a coded message and the usage line', async () => {
  const cases: [string[], string][] = [
    [['--queue', 'q'], 'ERR_TANDEM_INVALID_ARGUMENT'],
    [['--tasks', TASKS], 'ERR_TANDEM_INVALID_ARGUMENT'],
    [[...base, '--bogus'], 'ERR_PARSE_ARGS_UNKNOWN_OPTION'],
    [[...base, 'stray'], 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'],
    [[...base, '--threads'], 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE'],
    [['--tasks', TASKS, '--queue', 'has:colon'], 'ERR_TANDEM_INVALID_ARGUMENT'],
    [[...base, '--queue-version', ''], 'ERR_TANDEM_INVALID_ARGUMENT'],
    [['--tasks', TASKS, '--queue', 'q', '--redis', 'http://x'], 'ERR_TANDEM_INVALID_ARGUMENT'],
    [[...base, '--threads', '0'], 'ERR_TANDEM_OUT_OF_RANGE'],
    [[...base, '--threads', '5000'], 'ERR_TANDEM_OUT_OF_RANGE'],
    [[...base, '--concurrency', '0'], 'ERR_TANDEM_OUT_OF_RANGE'],
    [[...base, '--lock-duration', '999'], 'ERR_TANDEM_OUT_OF_RANGE'],
    [[...base, '--stalled-interval', '3000000000'], 'ERR_TANDEM_OUT_OF_RANGE'],
    [[...base, '--max-payload', '0'], 'ERR_TANDEM_OUT_OF_RANGE'],
  ];
  const results = await Promise.all(cases.map(([args]) => run(args)));
  for (const [i, { code, output }] of results.entries()) {
    const [args, expected] = cases[i]!;
    assert.equal(code, 2, `${args.join(' ')}:\n${output}`);
    assert.ok(output.includes(`[${expected}]`), `${args.join(' ')}:\n${output}`);
    assert.ok(output.includes('usage: tandem-worker'), output);
  }
});

test('hostile numbers (NaN, Infinity, negative) are refused for every numeric flag, exit 2', async () => {
  const flags = [
    '--threads',
    '--concurrency',
    '--max-payload',
    '--lock-duration',
    '--stalled-interval',
    '--max-stalled-count',
    '--shutdown-grace',
  ];
  // The full matrix runs in-process (worker-units.test.ts); here the process's own answer.
  const values = ['NaN', 'Infinity', '-1'];
  const cases = flags.flatMap((flag) => values.map((value) => [...base, `${flag}=${value}`]));
  // A few at a time: each is a node process.
  for (let i = 0; i < cases.length; i += 8) {
    const batch = cases.slice(i, i + 8);
    const results = await Promise.all(batch.map((args) => run(args)));
    for (const [j, { code, output }] of results.entries()) {
      assert.equal(code, 2, `${batch[j]!.join(' ')}:\n${output}`);
      assert.match(output, /\[ERR_TANDEM_(INVALID_ARGUMENT|OUT_OF_RANGE)\]/);
    }
  }
});

test('a missing task module, or one that throws on load, exits 1 saying so', async () => {
  const missing = await run(['--tasks', '/nonexistent/tasks.js', '--queue', 'q']);
  assert.equal(missing.code, 1, missing.output);
  assert.ok(missing.output.includes('[ERR_TANDEM_TASK_MODULE_LOAD]'), missing.output);
  const throwing = await run(['--tasks', THROWS_AT_LOAD, '--queue', 'q']);
  assert.equal(throwing.code, 1, throwing.output);
  assert.ok(throwing.output.includes('[ERR_TANDEM_TASK_MODULE_LOAD]'), throwing.output);
  assert.ok(throwing.output.includes('[E_FIXTURE]'), `the module's own error:\n${throwing.output}`);
});

test('a Redis that cannot be reached at start: exit 1, no hang', async () => {
  const { code, output } = await run(base);
  assert.equal(code, 1, output);
  assert.ok(output.includes('ECONNREFUSED'), output);
});

test('the built bin (dist/cli.js) answers a job, its Redis URL from TANDEM_REDIS_URL', {
  skip: noRedis,
  timeout: 60_000,
}, async (t) => {
  const defer = deferrer(t);
  const redis = await startTestRedis();
  defer(() => redis.stop());
  const worker = spawnCli(['--tasks', TASKS, '--queue', 'dist', '--threads', '1'], {
    dist: true,
    env: { TANDEM_REDIS_URL: redis.url },
  });
  defer(() => worker.stop());
  await worker.ready;
  const producer = await rawProducer(redis.url, 'dist');
  defer(() => producer.close());
  const id = await producer.add('square', 9);
  assert.deepEqual(await producer.outcome(id), { status: 'completed', value: 81 });
});
