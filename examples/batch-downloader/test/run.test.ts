import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { outputPaths } from '../src/run-downloads.ts';
import { runCli } from './support/cli.ts';
import { fixture, tempDir } from './support/harness.ts';
import { assertComplete, partFiles, readNdjson, writeUrls } from './support/outputs.ts';

const quick = ['--threads', '1', '--body-timeout', '1s', '--concurrency', '8'];

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
  // Every planned failure was retried (2 × 2 for the 503s, 1 for each other transient one);
  // a 404 never is. (More retries are possible on a starved machine: a body timeout.)
  const retried = Number(/^\s+retried\s+(\d+)/m.exec(stdout)?.[1]);
  assert.ok(retried >= 4 + 2 + 2 + 2, `retried ${retried}`);
  const rows = readNdjson<{ name: string; attempts: number }>(outputPaths(out).report);
  for (const file of server.manifest().filter((f) => f.fate === 'retryAfter')) {
    assert.ok(rows.find((r) => r.name === file.name)!.attempts >= 3);
  }
  const failed = readNdjson<{ attempts: unknown[] }>(outputPaths(out).deadLetter);
  for (const line of failed) assert.equal(line.attempts.length, 1);
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

test('the embedded fixture: the same seed serves the same files in the child as here', {
  timeout: 120_000,
}, async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'out');
  const options = { files: 12, seed: 5, minSize: 2_000, maxSize: 30_000, hosts: 2 };
  const failures = { retryAfter: 0, error: 1, reset: 1, stall: 0, missing: 1 };
  const { code, stdout, stderr } = await runCli(t, [
    ...['--files', '12', '--seed', '5', '--min-size', '2000', '--max-size', '30000'],
    ...['--hosts', '2', '--latency', '0-5', '--out', out, ...quick],
    ...[
      '--fail-503',
      '0',
      '--fail-500',
      '1',
      '--fail-reset',
      '1',
      '--fail-stall',
      '0',
      '--fail-404',
      '1',
    ],
  ]);
  assert.equal(code, 1, stdout);
  assert.match(
    stderr,
    /^fixture: 12 files on http:\/\/127\.0\.0\.1:\d+, http:\/\/127\.0\.0\.1:\d+$/m,
  );
  assert.match(stderr, /exit code 1: 1 files failed for good/);
  // The same fixture here (other ports): the report's hashes are its manifest's.
  const server = await fixture(t, { ...options, failures });
  const rows = readNdjson<{ name: string; sha256: string }>(outputPaths(out).report);
  assert.equal(rows.length, 11);
  for (const row of rows) {
    assert.equal(row.sha256, server.manifest().find((f) => f.name === row.name)?.sha256);
  }
});

test('--deadline cuts the run: exit 1, no .part left, and --resume finishes it', {
  timeout: 120_000,
}, async (t) => {
  const server = await fixture(t, {
    files: 20,
    minSize: 1_000,
    maxSize: 5_000,
    latency: { min: 300, max: 300 },
  });
  const dir = await tempDir(t);
  const out = join(dir, 'out');
  const urls = await writeUrls(dir, server);
  const args = ['--urls', urls, '--out', out, '--threads', '1', '--concurrency', '2'];
  const first = await runCli(t, [...args, '--deadline', '1s']);
  assert.equal(first.code, 1, first.stdout);
  assert.match(first.stdout, /stopped by the deadline \(1000 ms\): \d+ files left/);
  assert.deepEqual(partFiles(out), []);
  const second = await runCli(t, [...args, '--resume']);
  assert.equal(second.code, 0, second.stdout);
  assert.match(second.stdout, /^\s+resumed\s+[1-9]/m);
  const rows = readNdjson<{ name: string }>(outputPaths(out).report);
  assert.deepEqual(
    rows.map((r) => r.name).sort(),
    server
      .manifest()
      .map((f) => f.name)
      .sort(),
  );
});
