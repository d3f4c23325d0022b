import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnScript } from './support/process.ts';

test('hostile clients: huge bodies, wrong types, NaN and Infinity, aborts at every instant, crowds of hang-ups', {
  timeout: 120_000,
}, async (t) => {
  const { child, exited } = spawnScript(t, 'test/fixtures/hostile-run.ts', []);
  const guard = setTimeout(() => child.kill('SIGKILL'), 100_000);
  const exit = await exited;
  clearTimeout(guard);
  assert.equal(exit.signal, null, `hung, killed after 100 s\n${exit.stderr}`);
  assert.equal(exit.code, 0, exit.stderr);
  const report = JSON.parse(exit.stdout.trim().split('\n').at(-1) ?? '{}');
  assert.deepEqual(report.problems, []);
  assert.deepEqual(report.pool.queued, 0);
  assert.deepEqual(report.pool.inWorkers, 0);
  assert.deepEqual(report.pool.running, 0);
  assert.ok(report.pool.cancelled >= 2, 'the hung-up renders were cancelled');
  assert.equal(report.after, 'HTTP/1.1 200 OK');
  for (const status of report.results.huge)
    assert.match(status, /^(HTTP\/1\.1 413|error E(CONNRESET|PIPE)|)/);
  // The last body is a valid string (a NUL and a lone surrogate): rendered.
  assert.equal(report.results.types.pop(), 'HTTP/1.1 200 OK');
  for (const status of [...report.results.types, ...report.results.paths]) {
    assert.match(status, /^HTTP\/1\.1 400/, status);
  }
  // Hung up mid-task or while queued (no answer), or shed before (503).
  for (const status of report.results.crowd) assert.match(status, /^(|HTTP\/1\.1 503.*)$/, status);
  assert.ok(report.results.crowd.includes(''), 'some were hung up on');
});
