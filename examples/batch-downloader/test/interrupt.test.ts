import assert from 'node:assert/strict';
import { existsSync, watch } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { FixtureServer } from '../src/fixture-server.ts';
import { outputPaths } from '../src/run-downloads.ts';
import { runCli, startCli } from './support/cli.ts';
import { fixture, tempDir } from './support/harness.ts';
import { assertComplete, partFiles, writeUrls } from './support/outputs.ts';

const common = ['--threads', '1', '--concurrency', '4', '--per-host', '4', '-v'];

/** Per file: how many requests the server got, and whether one was served whole. */
function snapshot(server: FixtureServer) {
  return new Map(
    server.manifest().map((f) => {
      const { requests } = server.stats(f.name);
      const served = requests.some((r) => r.outcome === 'served');
      return [f.name, { requests: requests.length, served }];
    }),
  );
}

const failures = { retryAfter: 1, error: 2, reset: 2, missing: 2 };

/** Waits (on file-system events, no polling) until `path` holds `size` bytes. */
function sizeReached(t: TestContext, dir: string, path: string, size: number): Promise<void> {
  return new Promise((resolve) => {
    const check = async () => {
      if (
        (await stat(path).then(
          (s) => s.size,
          () => 0,
        )) !== size
      )
        return;
      watcher.close();
      resolve();
    };
    const watcher = watch(dir, () => void check());
    t.after(() => watcher.close());
    void check();
  });
}

for (const after of [1, 8, 20]) {
  test(`a SIGINT after ${after} files, then --resume: nothing finished is fetched again, each file once`, {
    timeout: 120_000,
  }, async (t) => {
    const server = await fixture(t, {
      files: 30,
      minSize: 4_000,
      maxSize: 60_000,
      latency: { min: 10, max: 40 },
      failures,
      retryAfterSeconds: 0,
    });
    const dir = await tempDir(t);
    const out = join(dir, 'out');
    const urls = await writeUrls(dir, server);
    let done = 0;
    const first = await runCli(
      t,
      ['--urls', urls, '--out', out, '--grace', '4s', ...common],
      (line, child) => {
        if (line.startsWith('ok ') && ++done === after) child.kill('SIGINT');
      },
    );
    assert.equal(first.code, 130, first.stdout + first.stderr);
    assert.match(first.stdout, /stopped by Ctrl-C: \d+ files left/);
    assert.deepEqual(partFiles(out), [], `no .part left after Ctrl-C\n${first.stderr}`);
    assert.equal(existsSync(outputPaths(out).journal), true);
    assert.equal(existsSync(outputPaths(out).report), false, 'no report until the run completes');
    const before = snapshot(server);

    const second = await runCli(t, ['--urls', urls, '--out', out, '--resume', ...common]);
    assert.equal(second.code, 1, second.stdout + second.stderr);
    assert.match(second.stdout, /^\s+resumed\s+\d+/m);
    assertComplete(out, server);
    for (const [name, { requests }] of snapshot(server)) {
      const earlier = before.get(name)!;
      // Served whole before the Ctrl-C means finished within the grace: never asked again.
      if (earlier.served) assert.equal(requests, earlier.requests, `${name} was fetched again`);
    }
  });
}

/** Twelve files, one of which stalls half-way; the run's output folder already made. */
async function stallingRun(t: TestContext) {
  const server = await fixture(t, {
    files: 12,
    minSize: 20_000,
    maxSize: 60_000,
    failures: { stall: 1 },
  });
  const dir = await tempDir(t);
  const out = join(dir, 'out');
  const urls = await writeUrls(dir, server);
  const stalled = server.manifest().find((f) => f.fate === 'stall')!;
  const files = outputPaths(out).files;
  const part = join(files, `${stalled.name}.part`);
  await mkdir(files, { recursive: true });
  return { server, out, urls, stalled, files, part };
}

test('a SIGINT while a download stalls: cut off after the grace, its .part deleted; --resume fetches it', {
  timeout: 120_000,
}, async (t) => {
  const { server, out, urls, stalled, files, part } = await stallingRun(t);
  const { child, exited } = startCli(t, [
    '--urls',
    urls,
    '--out',
    out,
    '--resume',
    '--body-timeout',
    '60s',
    '--grace',
    '300ms',
    ...common,
  ]);
  await sizeReached(t, files, part, Math.floor(stalled.size / 2));
  child.kill('SIGINT');
  const first = await exited;
  assert.equal(first.code, 130, first.stdout + first.stderr);
  assert.deepEqual(partFiles(out), []);

  const second = await runCli(t, ['--urls', urls, '--out', out, '--resume', ...common]);
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assertComplete(out, server);
  assert.equal(server.stats(stalled.name).requests.at(-1)?.status, 200);
});

test('kill -9 mid-download, then --resume: the .part is continued with Range + If-Range', {
  timeout: 120_000,
}, async (t) => {
  const { server, out, urls, stalled, files, part } = await stallingRun(t);
  const half = Math.floor(stalled.size / 2);

  // The stalled file's first half lands in its .part; then the process is killed outright.
  // (--resume on a fresh folder is a fresh run that leaves the watched folder in place.)
  const { child, exited } = startCli(t, [
    '--urls',
    urls,
    '--out',
    out,
    '--resume',
    '--body-timeout',
    '60s',
    ...common,
  ]);
  await sizeReached(t, files, part, half);
  child.kill('SIGKILL');
  const first = await exited;
  assert.equal(first.signal, 'SIGKILL', first.stdout + first.stderr);
  assert.equal((await stat(part)).size, half);

  const second = await runCli(t, ['--urls', urls, '--out', out, '--resume', ...common]);
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assertComplete(out, server);
  assert.deepEqual(server.stats(stalled.name).requests.at(-1), {
    range: `bytes=${half}-`,
    ifRange: stalled.etag,
    status: 206,
    outcome: 'served',
  });
  assert.match(second.stdout, /^\s+continued\s+[1-9]/m);
});
