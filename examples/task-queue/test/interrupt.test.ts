// Ctrl-C mid-run: the jobs not done are cancelled, the workers stop, then Redis; the demo
// exits 130 and no process it started is left.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alive, noRedis, startCli, startedPids } from './support/cli.ts';

test('SIGINT mid-run: exit 130, jobs not done cancelled, no child process left', {
  skip: noRedis,
  timeout: 120_000,
}, async (t) => {
  const run = startCli(t, ['--jobs', '200', '--size', '200000']);
  // Mid-run: a first job has its result, many are still queued or running.
  await run.line(/^job \d+: /);
  run.child.kill('SIGINT');
  const result = await run.exited;
  const output = result.stdout + result.stderr;
  assert.equal(result.code, 130, output);
  const summary = result.stdout.match(
    /200 jobs on queue task-queue: (\d+) ok, 0 failed, (\d+) cancelled/,
  );
  assert.ok(summary, output);
  assert.ok(Number(summary[2]) > 0, 'some jobs were cancelled');
  assert.equal(Number(summary[1]) + Number(summary[2]), 200);
  const pids = startedPids(result.stderr);
  assert.equal(pids.length, 3, output);
  for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} is still running`);
});
