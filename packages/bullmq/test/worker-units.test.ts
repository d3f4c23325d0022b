// The worker's parts that need no Redis: progress throttling, the recent-cancels set, argument
// and option checks. Time is the fake clock's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { useFakeClock } from '../../workers/test/fake-clock.ts';
import { parseCli } from '../src/cli-args.ts';
import { ProgressThrottle } from '../src/progress-throttle.ts';
import { RecentIds } from '../src/recent-ids.ts';
import { startWorker } from '../src/worker.ts';
import { resolveWorkerOptions } from '../src/worker-options.ts';

/** Lets the throttle's promise chain run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

test('progress: the first value goes at once, then the latest of each window', async (t) => {
  const clock = useFakeClock(t);
  const sent: string[] = [];
  const throttle = new ProgressThrottle(
    100,
    async (v) => {
      sent.push(v);
    },
    (error) => assert.fail(String(error)),
  );
  throttle.push('1');
  throttle.push('2');
  throttle.push('3');
  await settle();
  assert.deepEqual(sent, ['1'], 'leading');
  clock.advance(100);
  await settle();
  assert.deepEqual(sent, ['1', '3'], 'trailing: the latest of the window');
  clock.advance(200);
  assert.equal(clock.pending(), 0, 'an empty window closes');
  throttle.push('4');
  await settle();
  assert.deepEqual(sent, ['1', '3', '4'], 'leading again after a quiet window');
  throttle.push('5');
  await throttle.flush();
  assert.deepEqual(sent, ['1', '3', '4', '5'], 'flush sends what is pending');
  throttle.push('6');
  await settle();
  assert.equal(sent.length, 4, 'nothing after flush');
  assert.equal(clock.pending(), 0);
});

test('progress: cancel drops the pending value; a failed send is reported and the next still goes', async (t) => {
  useFakeClock(t);
  const sent: string[] = [];
  const errors: unknown[] = [];
  const throttle = new ProgressThrottle(
    100,
    async (v) => {
      if (v === 'bad') throw new Error('redis down');
      sent.push(v);
    },
    (e) => errors.push(e),
  );
  throttle.push('bad');
  throttle.push('good');
  await throttle.flush();
  assert.deepEqual(sent, ['good']);
  assert.equal(errors.length, 1);
  const cancelled = new ProgressThrottle(
    100,
    async (v) => void sent.push(v),
    (error) => assert.fail(String(error)),
  );
  cancelled.push('a');
  cancelled.push('b');
  cancelled.cancel();
  await cancelled.flush();
  await settle();
  assert.deepEqual(sent, ['good', 'a']);
});

test('recent cancels expire, and the set stays within its bound', (t) => {
  const clock = useFakeClock(t);
  const recent = new RecentIds(3, 1000);
  recent.add('a');
  clock.advance(500);
  recent.add('b');
  assert.ok(recent.has('a') && recent.has('b'));
  clock.advance(1000);
  assert.equal(recent.has('a'), false, 'expired');
  assert.equal(recent.has('b'), true);
  for (const id of ['c', 'd', 'e', 'f']) recent.add(id);
  assert.ok(recent.size <= 3);
  assert.equal(recent.has('f'), true, 'the newest stays');
  assert.equal(recent.has('c'), false, 'the oldest goes');
});

test('parseCli: every numeric flag takes digits only', () => {
  const flags = [
    'threads',
    'concurrency',
    'max-payload',
    'lock-duration',
    'stalled-interval',
    'max-stalled-count',
    'shutdown-grace',
  ];
  const hostile = [
    'NaN',
    'Infinity',
    '-Infinity',
    '-1',
    '1.5',
    '1e3',
    '',
    ' 1',
    '0x10',
    '+1',
    '1_000',
  ];
  for (const flag of flags) {
    for (const value of hostile) {
      assert.throws(
        () => parseCli(['--tasks', 't.js', '--queue', 'q', `--${flag}=${value}`], {}),
        { code: 'ERR_TANDEM_INVALID_ARGUMENT' },
        `--${flag}=${JSON.stringify(value)}`,
      );
    }
  }
  const parsed = parseCli(
    ['--tasks', 't.js', '--queue', 'q', '--threads', '3', '--shutdown-grace', '0'],
    { TANDEM_REDIS_URL: 'redis://h:1' },
  );
  assert.deepEqual(parsed, {
    help: false,
    options: { tasks: 't.js', queue: 'q', connection: 'redis://h:1', threads: 3, shutdownGrace: 0 },
  });
});

test('startWorker refuses hostile options before starting anything', async () => {
  const good = { tasks: 't.js', connection: 'redis://127.0.0.1:1', queue: 'q' };
  const numeric = [
    'threads',
    'concurrency',
    'maxPayloadBytes',
    'lockDuration',
    'stalledInterval',
    'maxStalledCount',
  ];
  for (const key of numeric) {
    for (const [value, code] of [
      [Number.NaN, 'ERR_TANDEM_INVALID_ARGUMENT'],
      [Number.POSITIVE_INFINITY, 'ERR_TANDEM_OUT_OF_RANGE'],
      [-1, 'ERR_TANDEM_OUT_OF_RANGE'],
      [1.5, 'ERR_TANDEM_INVALID_ARGUMENT'],
      ['1', 'ERR_TANDEM_INVALID_ARGUMENT'],
      [2 ** 40, 'ERR_TANDEM_OUT_OF_RANGE'],
    ] as const) {
      await assert.rejects(startWorker({ ...good, [key]: value }), { code }, `${key}: ${value}`);
    }
  }
  for (const [value, code] of [
    [Number.NaN, 'ERR_TANDEM_INVALID_ARGUMENT'],
    [-1, 'ERR_TANDEM_OUT_OF_RANGE'],
    [1.5, 'ERR_TANDEM_INVALID_ARGUMENT'],
  ] as const) {
    await assert.rejects(startWorker({ ...good, shutdownGrace: value }), { code });
  }
  const wrong: [Record<string, unknown>, string][] = [
    [{ tasks: 1 }, 'tasks'],
    [{ tasks: '' }, 'tasks'],
    [{ connection: 42 }, 'connection'],
    [{ connection: 'http://x' }, 'connection'],
    [{ queue: 'a:b' }, 'queue'],
    [{ queue: undefined }, 'queue'],
    [{ version: 'x'.repeat(101) }, 'version'],
    [{ prefix: '' }, 'prefix'],
    [{ onError: 'log' }, 'onError'],
  ];
  for (const [patch, what] of wrong) {
    await assert.rejects(
      startWorker({ ...good, ...patch } as never),
      {
        code: 'ERR_TANDEM_INVALID_ARGUMENT',
      },
      what,
    );
  }
  await assert.rejects(startWorker(null as never), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
  const hostile = new Proxy(good, {
    ownKeys() {
      throw new Error('hostile');
    },
  });
  await assert.rejects(startWorker(hostile), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
});

test('defaults: concurrency 2 × threads, 30 s locks, one stall allowed, 10 s grace', () => {
  const resolved = resolveWorkerOptions({
    tasks: 't.js',
    connection: 'redis://h',
    queue: 'q',
    threads: 3,
  });
  assert.equal(resolved.concurrency, 6);
  assert.equal(resolved.lockDuration, 30_000);
  assert.equal(resolved.stalledInterval, 30_000);
  assert.equal(resolved.maxStalledCount, 1);
  assert.equal(resolved.shutdownGrace, 10_000);
  assert.equal(resolved.maxPayloadBytes, 1024 * 1024);
  assert.equal(resolved.bullQueue, 'q.v1.w1');
  assert.equal(resolved.keys.cancelChannel, 'bull:q.v1.w1:tandem:cancel');
});
