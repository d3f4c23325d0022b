import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { request } from 'undici';
import { fixtureFileName } from '../src/fixture-content.ts';
import type { FixtureFile, FixtureServer } from '../src/fixture-server.ts';
import { agent, fixture } from './support/harness.ts';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function get(dispatcher: ReturnType<typeof agent>, url: string, headers = {}) {
  const response = await request(url, { dispatcher, headers });
  const body = Buffer.from(await response.body.arrayBuffer());
  return { status: response.statusCode, headers: response.headers, body };
}

function fileWith(server: FixtureServer, fate: FixtureFile['fate']): FixtureFile {
  const file = server.manifest().find((f) => f.fate === fate);
  assert.ok(file, `a ${fate} file`);
  return file;
}

const mix = { retryAfter: 2, error: 2, reset: 2, stall: 2, missing: 2 };

test('every file is served whole with the hash of the manifest, the same for the same seed', async (t) => {
  const server = await fixture(t, { files: 12, seed: 7, minSize: 1_000, maxSize: 50_000 });
  const twin = await fixture(t, { files: 12, seed: 7, minSize: 1_000, maxSize: 50_000 });
  const dispatcher = agent(t);
  for (const [i, file] of server.manifest().entries()) {
    assert.equal(file.name, fixtureFileName(i));
    const { status, headers, body } = await get(dispatcher, file.url);
    assert.equal(status, 200);
    assert.equal(body.length, file.size);
    assert.equal(sha256(body), file.sha256);
    assert.equal(headers.etag, file.etag);
    assert.equal(headers['last-modified'], file.lastModified);
    assert.equal(twin.manifest()[i]!.sha256, file.sha256);
    assert.equal(server.stats(file.name).bytesSent, file.size);
  }
  const other = await fixture(t, { files: 12, seed: 8, minSize: 1_000, maxSize: 50_000 });
  assert.notEqual(other.manifest()[0]!.sha256, server.manifest()[0]!.sha256);
});

test('files are spread over the hosts, each its own port', async (t) => {
  const server = await fixture(t, { files: 7, hosts: 3, minSize: 100, maxSize: 100 });
  const dispatcher = agent(t);
  assert.equal(new Set(server.origins).size, 3);
  for (const [i, file] of server.manifest().entries()) {
    assert.ok(file.url.startsWith(`${server.origins[i % 3]}/`));
    assert.equal(sha256((await get(dispatcher, file.url)).body), file.sha256);
  }
});

test('the failure plan deals each failure to the number of files asked', async (t) => {
  const server = await fixture(t, { files: 20, failures: mix });
  const count = (fate: FixtureFile['fate']) =>
    server.manifest().filter((f) => f.fate === fate).length;
  assert.deepEqual(
    [count('retryAfter'), count('error'), count('resetBefore'), count('resetMid')],
    [2, 2, 1, 1],
  );
  assert.deepEqual([count('stall'), count('missing'), count('ok')], [2, 2, 10]);
});

test('a retryAfter file answers 503 with Retry-After twice (seconds, then a date), then 200', async (t) => {
  const server = await fixture(t, { files: 10, failures: mix, retryAfterSeconds: 3 });
  const dispatcher = agent(t);
  const file = fileWith(server, 'retryAfter');
  const first = await get(dispatcher, file.url);
  assert.equal(first.status, 503);
  assert.equal(first.headers['retry-after'], '3');
  const second = await get(dispatcher, file.url);
  assert.equal(second.status, 503);
  assert.ok(!Number.isNaN(Date.parse(String(second.headers['retry-after']))));
  const third = await get(dispatcher, file.url);
  assert.equal(third.status, 200);
  assert.equal(sha256(third.body), file.sha256);
});

test('an error file answers 500 once; a missing file 404 every time', async (t) => {
  const server = await fixture(t, { files: 10, failures: mix });
  const dispatcher = agent(t);
  const error = fileWith(server, 'error');
  assert.equal((await get(dispatcher, error.url)).status, 500);
  assert.equal((await get(dispatcher, error.url)).status, 200);
  const missing = fileWith(server, 'missing');
  for (let i = 0; i < 3; i++) assert.equal((await get(dispatcher, missing.url)).status, 404);
  assert.equal((await get(dispatcher, `${server.origins[0]}/files/nope.txt`)).status, 404);
});

test('a reset file loses its connection once (before the headers or mid-body)', async (t) => {
  const server = await fixture(t, { files: 10, failures: mix });
  const dispatcher = agent(t);
  for (const fate of ['resetBefore', 'resetMid'] as const) {
    const file = fileWith(server, fate);
    await assert.rejects(get(dispatcher, file.url), { code: 'UND_ERR_SOCKET' });
    const again = await get(dispatcher, file.url);
    assert.equal(sha256(again.body), file.sha256);
    assert.deepEqual(
      server.stats(file.name).requests.map((r) => r.outcome),
      [fate, 'served'],
    );
  }
});

test('a stall file sends half its body once, then nothing until the client gives up', async (t) => {
  const server = await fixture(t, { files: 10, failures: mix });
  const dispatcher = agent(t, { bodyIdle: 200 });
  const file = fileWith(server, 'stall');
  await assert.rejects(get(dispatcher, file.url), { code: 'UND_ERR_BODY_TIMEOUT' });
  assert.equal(server.stats(file.name).bytesSent, Math.floor(file.size / 2));
  assert.equal(sha256((await get(dispatcher, file.url)).body), file.sha256);
});

test('Range and If-Range: 206 when the validator matches, 200 when it does not, 416 past the end', async (t) => {
  const server = await fixture(t, { files: 2, minSize: 10_000, maxSize: 10_000 });
  const dispatcher = agent(t);
  const file = server.manifest()[0]!;
  const whole = (await get(dispatcher, file.url)).body;

  const byEtag = await get(dispatcher, file.url, { range: 'bytes=4000-', 'if-range': file.etag });
  assert.equal(byEtag.status, 206);
  assert.equal(byEtag.headers['content-range'], `bytes 4000-9999/10000`);
  assert.deepEqual(byEtag.body, whole.subarray(4000));

  const byDate = await get(dispatcher, file.url, {
    range: 'bytes=10-19',
    'if-range': file.lastModified,
  });
  assert.equal(byDate.status, 206);
  assert.deepEqual(byDate.body, whole.subarray(10, 20));

  const suffix = await get(dispatcher, file.url, { range: 'bytes=-100' });
  assert.deepEqual(suffix.body, whole.subarray(9_900));

  const weak = await get(dispatcher, file.url, { range: 'bytes=5-', 'if-range': `W/${file.etag}` });
  assert.equal(weak.status, 200);

  const past = await get(dispatcher, file.url, { range: 'bytes=10000-', 'if-range': file.etag });
  assert.equal(past.status, 416);
  assert.equal(past.headers['content-range'], 'bytes */10000');

  const multi = await get(dispatcher, file.url, { range: 'bytes=0-1,5-6' });
  assert.equal(multi.status, 200);
});

test('change() gives a file new content and validators: a stale If-Range gets the whole new file', async (t) => {
  const server = await fixture(t, { files: 2, minSize: 10_000, maxSize: 10_000 });
  const dispatcher = agent(t);
  const before = server.manifest()[1]!;
  const after = server.change(before.name);
  assert.notEqual(after.sha256, before.sha256);
  assert.notEqual(after.etag, before.etag);
  assert.notEqual(after.lastModified, before.lastModified);
  assert.deepEqual(server.manifest()[1], after);
  for (const validator of [before.etag, before.lastModified]) {
    const answer = await get(dispatcher, before.url, {
      range: 'bytes=100-',
      'if-range': validator,
    });
    assert.equal(answer.status, 200);
    assert.equal(sha256(answer.body), after.sha256);
  }
});

test('stats() records each request with its range headers and outcome', async (t) => {
  const server = await fixture(t, { files: 1, minSize: 1_000, maxSize: 1_000 });
  const dispatcher = agent(t);
  const file = server.manifest()[0]!;
  await get(dispatcher, file.url);
  await get(dispatcher, file.url, { range: 'bytes=900-', 'if-range': file.etag });
  assert.deepEqual(server.stats(file.name), {
    requests: [
      { range: undefined, ifRange: undefined, status: 200, outcome: 'served' },
      { range: 'bytes=900-', ifRange: file.etag, status: 206, outcome: 'served' },
    ],
    bytesSent: 1_100,
  });
  assert.throws(() => server.stats('nope'), RangeError);
});

test('bad options are refused before anything listens', async () => {
  const { startFixtureServer } = await import('../src/fixture-server.ts');
  for (const options of [
    { files: -1 },
    { files: Number.NaN },
    { minSize: 10, maxSize: 5 },
    { latency: { min: 5, max: 1 } },
    { latency: { min: 0, max: Number.POSITIVE_INFINITY } },
    { hosts: 0 },
    { retryAfterSeconds: -1 },
  ]) {
    await assert.rejects(startFixtureServer(options), RangeError, JSON.stringify(options));
  }
});
