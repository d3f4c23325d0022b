import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { outputPaths } from '../src/run-downloads.ts';
import { runCli } from './support/cli.ts';
import { fixture, tempDir } from './support/harness.ts';
import { assertComplete, readNdjson, writeUrls } from './support/outputs.ts';

const quick = ['--threads', '1', '--body-timeout', '300ms', '--concurrency', '8'];

test('--help lists every flag with its default and exits 0', async (t) => {
  const { code, stdout } = await runCli(t, ['--help']);
  assert.equal(code, 0);
  for (const flag of ['--files', '--urls', '--resume', '--per-host', '--deadline', '--threads']) {
    assert.match(stdout, new RegExp(`${flag}\\b`));
  }
  assert.match(stdout, /--concurrency <count>\s+.*\(default 16\)/);
});

test('a usage mistake names the flag and exits 2', async (t) => {
  for (const args of [
    ['--files', '-3'],
    ['--latency', '80-20'],
    ['--nope'],
    ['--body-timeout', '0'],
  ]) {
    const { code, stderr } = await runCli(t, args);
    assert.equal(code, 2, args.join(' '));
    assert.match(stderr, /See --help/);
  }
});

test('a full run: every file lands with the server’s hash, 404s are dead-lettered, exit 1', {
  timeout: 120_000,
}, async (t) => {
  const server = await fixture(t, {
    files: 30,
    hosts: 2,
    minSize: 4_000,
    maxSize: 60_000,
    latency: { min: 0, max: 20 },
    failures: { retryAfter: 2, error: 2, reset: 2, stall: 2, missing: 2 },
    retryAfterSeconds: 0,
  });
  const dir = await tempDir(t);
  const out = join(dir, 'out');
  const urls = await writeUrls(dir, server);
  const { code, stdout } = await runCli(t, ['--urls', urls, '--out', out, ...quick]);
  assert.equal(code, 1, stdout);
  assertComplete(out, server);
  assert.equal(existsSync(outputPaths(out).journal), false);
  assert.match(stdout, /^\s+ok\s+28\b/m);
  assert.match(stdout, /^\s+failed\s+2\b/m);
  assert.match(stdout, /loop delay p99 [\d.]+ ms/);
  // Every planned failure was retried: 2 × 2 for the 503s, 1 for each other transient one.
  const retried = Number(/^\s+retried\s+(\d+)/m.exec(stdout)?.[1]);
  assert.equal(retried, 4 + 2 + 2 + 2);
  const rows = readNdjson<{ name: string; attempts: number }>(outputPaths(out).report);
  for (const file of server.manifest().filter((f) => f.fate === 'retryAfter')) {
    assert.equal(rows.find((r) => r.name === file.name)?.attempts, 3);
  }
});

test('--resume after a completed run does nothing and says so', { timeout: 120_000 }, async (t) => {
  const server = await fixture(t, { files: 3, minSize: 1_000, maxSize: 2_000 });
  const dir = await tempDir(t);
  const out = join(dir, 'out');
  const urls = await writeUrls(dir, server);
  assert.equal((await runCli(t, ['--urls', urls, '--out', out, ...quick])).code, 0);
  const again = await runCli(t, ['--urls', urls, '--out', out, '--resume', ...quick]);
  assert.equal(again.code, 0);
  assert.match(again.stderr, /is complete/);
  for (const file of server.manifest()) assert.equal(server.stats(file.name).requests.length, 1);
});

test('a run without failures exits 0; run again without --resume, it starts over', {
  timeout: 120_000,
}, async (t) => {
  const server = await fixture(t, { files: 10, minSize: 1_000, maxSize: 5_000 });
  const dir = await tempDir(t);
  const out = join(dir, 'out');
  const urls = await writeUrls(dir, server);
  for (let run = 1; run <= 2; run++) {
    const { code, stdout } = await runCli(t, ['--urls', urls, '--out', out, ...quick]);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /^\s+ok\s+10\b/m);
    for (const file of server.manifest()) {
      assert.equal(server.stats(file.name).requests.length, run);
    }
  }
});
