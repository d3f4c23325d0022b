// The one command (`pnpm --filter @tandem/example-task-queue start`): it starts redis-server,
// two worker processes and the producer, prints every result and a summary, exits 0, and
// leaves no process behind.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { alive, grouped, noRedis, primesBelow, startCli, startedPids } from './support/cli.ts';

test('the demo runs end to end: right results from both workers, exit 0, nothing left running', {
  skip: noRedis,
  timeout: 120_000,
}, async (t) => {
  const jobs = 8;
  const size = 40_000;
  const result = await startCli(t, ['--jobs', String(jobs), '--size', String(size)]).exited;
  const output = result.stdout + result.stderr;
  assert.equal(result.code, 0, output);
  assert.match(
    result.stdout,
    new RegExp(`${jobs} jobs on queue task-queue: ${jobs} ok, 0 failed, 0 cancelled`),
  );
  assert.match(
    result.stdout,
    new RegExp(`primes below ${grouped(jobs * size)}: ${grouped(primesBelow(jobs * size))}\\n`),
  );
  for (let i = 0; i < jobs; i++)
    assert.match(result.stdout, new RegExp(`^job ${i}: `, 'm'), output);
  // The dashboard line came from Redis: the two workers were registered.
  assert.match(
    result.stderr,
    /^task-queue: waiting \d+ · active \d+ · completed \d+ · failed \d+ · workers 2 /m,
  );
  const pids = startedPids(result.stderr);
  assert.equal(pids.length, 3, output);
  for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} is still running`);
});

test('without redis-server and without --redis: exit 1, and the message says how to get one', {
  timeout: 60_000,
}, async (t) => {
  // An empty folder as PATH: no shell, no redis-server (node itself is started by its path).
  const empty = mkdtempSync(join(tmpdir(), 'task-queue-path-'));
  t.after(() => rmSync(empty, { recursive: true, force: true }));
  const env = { ...process.env, PATH: empty, TANDEM_REDIS_URL: '' };
  const result = await startCli(t, ['--jobs', '1'], env).exited;
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(result.stderr, /apt-get install redis-server/);
  assert.match(result.stderr, /--redis/);
});
