import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { download } from '../src/download.ts';
import { parseRetryAfter } from '../src/download-errors.ts';
import type { FixtureFile, FixtureServer } from '../src/fixture-server.ts';
import { agent, fixture, tempDir } from './support/harness.ts';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const mix = { retryAfter: 1, error: 1, reset: 2, stall: 1, missing: 1 };

function fileWith(server: FixtureServer, fate: FixtureFile['fate']): FixtureFile {
  const file = server.manifest().find((f) => f.fate === fate);
  assert.ok(file, `a ${fate} file`);
  return file;
}

async function assertDownloaded(path: string, file: FixtureFile): Promise<void> {
  assert.equal(sha256(await readFile(path)), file.sha256);
  assert.equal(existsSync(`${path}.part`), false);
  assert.equal(existsSync(`${path}.part.json`), false);
}

const partSize = (path: string) => stat(`${path}.part`).then((s) => s.size);

test('a whole download lands under its name, with no .part left', async (t) => {
  const server = await fixture(t, { files: 3 });
  const dir = await tempDir(t);
  const dispatcher = agent(t);
  for (const file of server.manifest()) {
    let counted = 0;
    const path = join(dir, file.name);
    const done = await download(file.url, path, { dispatcher, onBytes: (n) => (counted += n) });
    assert.deepEqual(done, {
      url: file.url,
      path,
      size: file.size,
      received: file.size,
      resumedFrom: 0,
    });
    assert.equal(counted, file.size);
    await assertDownloaded(path, file);
  }
});

test('after a stall, the next call continues the .part with Range + If-Range (no byte fetched twice)', async (t) => {
  const server = await fixture(t, { files: 8, failures: mix });
  const dir = await tempDir(t);
  const dispatcher = agent(t, { bodyIdle: 200 });
  const file = fileWith(server, 'stall');
  const path = join(dir, file.name);
  await assert.rejects(download(file.url, path, { dispatcher }), {
    code: 'ERR_DOWNLOAD_TIMEOUT',
    phase: 'body',
    transient: true,
  });
  const half = Math.floor(file.size / 2);
  assert.equal(await partSize(path), half);
  const done = await download(file.url, path, { dispatcher });
  assert.equal(done.resumedFrom, half);
  assert.equal(done.received, file.size - half);
  await assertDownloaded(path, file);
  const [, second] = server.stats(file.name).requests;
  assert.deepEqual(second, {
    range: `bytes=${half}-`,
    ifRange: file.etag,
    status: 206,
    outcome: 'served',
  });
  assert.equal(server.stats(file.name).bytesSent, file.size);
});

test('after a reset, the next call continues from what the .part holds', async (t) => {
  const server = await fixture(t, { files: 8, failures: mix });
  const dir = await tempDir(t);
  const dispatcher = agent(t);
  for (const fate of ['resetBefore', 'resetMid'] as const) {
    const file = fileWith(server, fate);
    const path = join(dir, file.name);
    await assert.rejects(download(file.url, path, { dispatcher }), {
      code: 'ERR_DOWNLOAD_CONNECTION',
      transient: true,
    });
    // How much of the body arrived before the reset depends on the sockets; whatever did is kept.
    const kept = await partSize(path).catch(() => 0);
    const done = await download(file.url, path, { dispatcher });
    assert.equal(done.resumedFrom, kept);
    await assertDownloaded(path, file);
    const [, second] = server.stats(file.name).requests;
    assert.equal(second?.range, kept > 0 ? `bytes=${kept}-` : undefined);
  }
});

test('a file changed since the .part was written is fetched again whole', async (t) => {
  const server = await fixture(t, { files: 8, failures: mix });
  const dir = await tempDir(t);
  const dispatcher = agent(t, { bodyIdle: 200 });
  const file = fileWith(server, 'stall');
  const path = join(dir, file.name);
  await assert.rejects(download(file.url, path, { dispatcher }), { code: 'ERR_DOWNLOAD_TIMEOUT' });
  const changed = server.change(file.name);
  const done = await download(file.url, path, { dispatcher });
  assert.equal(done.resumedFrom, 0);
  assert.equal(done.received, changed.size);
  await assertDownloaded(path, changed);
  assert.equal(server.stats(file.name).requests[1]?.status, 200);
});

test('a Last-Modified validator serves when there is no strong ETag; a weak one restarts', async (t) => {
  const server = await fixture(t, { files: 1, minSize: 10_000, maxSize: 10_000 });
  const dir = await tempDir(t);
  const dispatcher = agent(t);
  const file = server.manifest()[0]!;
  const whole = Buffer.from(await (await fetch(file.url)).arrayBuffer());
  const path = join(dir, file.name);
  await writeFile(`${path}.part`, whole.subarray(0, 3_000));
  await writeFile(
    `${path}.part.json`,
    JSON.stringify({ url: file.url, etag: `W/${file.etag}`, lastModified: file.lastModified }),
  );
  assert.equal((await download(file.url, path, { dispatcher })).resumedFrom, 3_000);
  assert.equal(server.stats(file.name).requests[1]?.ifRange, file.lastModified);

  await writeFile(`${path}.part`, whole.subarray(0, 3_000));
  await writeFile(`${path}.part.json`, JSON.stringify({ url: file.url, etag: `W/${file.etag}` }));
  assert.equal((await download(file.url, path, { dispatcher })).resumedFrom, 0);
  assert.equal(server.stats(file.name).requests[2]?.range, undefined);
  await assertDownloaded(path, file);
});

test('a .part of another URL, or with an unreadable sidecar, is not continued', async (t) => {
  const server = await fixture(t, { files: 1, minSize: 10_000, maxSize: 10_000 });
  const dir = await tempDir(t);
  const dispatcher = agent(t);
  const file = server.manifest()[0]!;
  const path = join(dir, file.name);
  for (const sidecar of [JSON.stringify({ url: `${file.url}?v=2`, etag: file.etag }), '{"url":']) {
    await writeFile(`${path}.part`, 'x'.repeat(5_000));
    await writeFile(`${path}.part.json`, sidecar);
    assert.equal((await download(file.url, path, { dispatcher })).resumedFrom, 0);
    await assertDownloaded(path, file);
  }
});

test('416 to a validated Range: a complete .part is renamed without a body; a longer one restarts', async (t) => {
  const server = await fixture(t, { files: 1, minSize: 10_000, maxSize: 10_000 });
  const dir = await tempDir(t);
  const dispatcher = agent(t);
  const file = server.manifest()[0]!;
  const whole = Buffer.from(await (await fetch(file.url)).arrayBuffer());
  const path = join(dir, file.name);
  const sidecar = JSON.stringify({ url: file.url, etag: file.etag });

  await writeFile(`${path}.part`, whole);
  await writeFile(`${path}.part.json`, sidecar);
  const complete = await download(file.url, path, { dispatcher });
  assert.deepEqual([complete.resumedFrom, complete.received], [10_000, 0]);
  await assertDownloaded(path, file);

  await writeFile(`${path}.part`, Buffer.concat([whole, Buffer.from('extra')]));
  await writeFile(`${path}.part.json`, sidecar);
  const restarted = await download(file.url, path, { dispatcher });
  assert.deepEqual([restarted.resumedFrom, restarted.received], [0, 10_000]);
  await assertDownloaded(path, file);
  assert.deepEqual(
    server.stats(file.name).requests.map((r) => r.status),
    [200, 416, 416, 200],
  );
});

test('HTTP failures carry status and retryAfter, and say whether to try again', async (t) => {
  const server = await fixture(t, { files: 8, failures: mix, retryAfterSeconds: 2 });
  const dir = await tempDir(t);
  const dispatcher = agent(t);
  const busy = fileWith(server, 'retryAfter');
  const path = join(dir, busy.name);
  await assert.rejects(download(busy.url, path, { dispatcher }), {
    name: 'HttpStatusError',
    code: 'ERR_DOWNLOAD_HTTP_STATUS',
    status: 503,
    retryAfter: 2_000,
    transient: true,
  });
  // The second answer gives an HTTP date two seconds ahead, to the second.
  const error = await download(busy.url, path, { dispatcher }).catch((e: unknown) => e);
  assert.ok((error as { retryAfter: number }).retryAfter <= 2_000);
  assert.equal(existsSync(`${path}.part`), false);

  const broken = fileWith(server, 'error');
  await assert.rejects(download(broken.url, join(dir, broken.name), { dispatcher }), {
    status: 500,
    retryAfter: undefined,
    transient: true,
  });
  const missing = fileWith(server, 'missing');
  await assert.rejects(download(missing.url, join(dir, missing.name), { dispatcher }), {
    status: 404,
    transient: false,
  });
});

test('no headers within the headers timeout is a transient ERR_DOWNLOAD_TIMEOUT', async (t) => {
  const server = await fixture(t, { files: 1, latency: { min: 2_000, max: 2_000 } });
  const dir = await tempDir(t);
  const file = server.manifest()[0]!;
  await assert.rejects(
    download(file.url, join(dir, file.name), { dispatcher: agent(t, { headers: 100 }) }),
    { code: 'ERR_DOWNLOAD_TIMEOUT', phase: 'headers', transient: true },
  );
});

test('a refused connection is a transient ERR_DOWNLOAD_CONNECTION', async (t) => {
  const server = await fixture(t, { files: 1 });
  const url = server.manifest()[0]!.url;
  await server.close();
  const dir = await tempDir(t);
  await assert.rejects(download(url, join(dir, 'x'), { dispatcher: agent(t) }), {
    code: 'ERR_DOWNLOAD_CONNECTION',
    transient: true,
  });
});

test('a URL that is not http(s) is a permanent ERR_DOWNLOAD_INVALID_URL', async (t) => {
  const dir = await tempDir(t);
  for (const url of ['not a url', 'ftp://example.com/x', 'file:///etc/passwd']) {
    await assert.rejects(download(url, join(dir, 'x')), {
      code: 'ERR_DOWNLOAD_INVALID_URL',
      transient: false,
    });
  }
});

test('an abort mid-body rejects with the reason at once and deletes the .part', {
  timeout: 30_000,
}, async (t) => {
  const server = await fixture(t, { files: 8, failures: mix });
  const dir = await tempDir(t);
  // The body would stall for a minute: only the abort can end this call.
  const dispatcher = agent(t, { bodyIdle: 60_000 });
  const file = fileWith(server, 'stall');
  const path = join(dir, file.name);
  const controller = new AbortController();
  const reason = new Error('stop');
  let bytes = 0;
  const call = download(file.url, path, {
    dispatcher,
    signal: controller.signal,
    onBytes: (n) => {
      bytes += n;
      if (bytes === Math.floor(file.size / 2)) controller.abort(reason);
    },
  });
  await assert.rejects(call, (error) => error === reason);
  assert.equal(existsSync(`${path}.part`), false);
  assert.equal(existsSync(`${path}.part.json`), false);
});

test('an abort before the headers, or before the call, rejects with the reason', {
  timeout: 30_000,
}, async (t) => {
  const server = await fixture(t, { files: 1, latency: { min: 60_000, max: 60_000 } });
  const dir = await tempDir(t);
  const file = server.manifest()[0]!;
  const path = join(dir, file.name);
  const controller = new AbortController();
  const call = download(file.url, path, { dispatcher: agent(t), signal: controller.signal });
  const reason = new Error('stop');
  // Wait until the server holds the request, then abort.
  await server.arrived(file.name, 1);
  controller.abort(reason);
  await assert.rejects(call, (error) => error === reason);
  await assert.rejects(
    download(file.url, path, { signal: AbortSignal.abort(reason) }),
    (e) => e === reason,
  );
});

test('parseRetryAfter reads delay-seconds and HTTP dates', () => {
  const now = Date.UTC(2026, 0, 1, 12);
  assert.equal(parseRetryAfter('120', now), 120_000);
  assert.equal(parseRetryAfter(' 0 ', now), 0);
  assert.equal(parseRetryAfter(new Date(now + 5_000).toUTCString(), now), 5_000);
  assert.equal(parseRetryAfter(new Date(now - 5_000).toUTCString(), now), 0);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter('-5', now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
});

test('an abort at any instant leaves either the whole file or nothing, never a .part', {
  timeout: 60_000,
}, async (t) => {
  const server = await fixture(t, { files: 1, minSize: 200_000, maxSize: 200_000 });
  const dir = await tempDir(t);
  const dispatcher = agent(t);
  const file = server.manifest()[0]!;
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  const outcomes = new Set<string>();
  for (let turns = 0; turns < 60; turns += 2) {
    const path = join(dir, `${turns}-${file.name}`);
    const controller = new AbortController();
    const reason = new Error('stop');
    const call = download(file.url, path, { dispatcher, signal: controller.signal });
    for (let i = 0; i < turns; i++) await turn();
    controller.abort(reason);
    const result = await call.then(
      () => 'finished',
      (error: unknown) => (error === reason ? 'aborted' : error),
    );
    outcomes.add(String(result));
    if (result === 'finished') await assertDownloaded(path, file);
    else assert.equal(result, 'aborted');
    assert.equal(existsSync(`${path}.part`), false, `${turns} turns`);
    assert.equal(existsSync(`${path}.part.json`), false, `${turns} turns`);
  }
  assert.ok(outcomes.has('aborted'));
});
