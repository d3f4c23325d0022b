import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderMarkdown } from '../src/render.ts';
import { send, serve } from './support/http.ts';

test('GET /users/:id: the user, 404 for one that does not exist, 400 for an id that is not one', async (t) => {
  const { url } = await serve(t);
  const ok = await send(`${url}/users/7`);
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body, { id: 7, name: 'User 7', email: 'user7@example.test' });
  const missing = await send(`${url}/users/5000`);
  assert.equal(missing.status, 404);
  assert.equal(missing.body.code, 'ERR_WEB_NOT_FOUND');
  for (const id of ['0', 'abc', '-1', '1.5', 'NaN', 'Infinity', '1e3', '99999999999']) {
    const bad = await send(`${url}/users/${id}`);
    assert.equal(bad.status, 400, id);
    assert.equal(bad.body.code, 'FST_ERR_VALIDATION', id);
  }
});

test('POST /render: the HTML, word count and digest, computed in the pool', async (t) => {
  const service = await serve(t);
  const markdown = '# Title\n\nSome *text* with [a link](http://example.test).\n';
  const answer = await send(`${service.url}/render`, { body: { markdown } });
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.body, renderMarkdown(markdown));
  assert.match(answer.body.html, /<h1>Title<\/h1>/);
  assert.deepEqual(
    service.settled.map((e) => [e.task, e.outcome]),
    [['render', 'ok']],
  );
  const viaGet = await send(`${service.url}/render?markdown=${encodeURIComponent(markdown)}`);
  assert.equal(viaGet.status, 200);
  assert.deepEqual(viaGet.body, answer.body);
});

test('POST /render validates its body: wrong types and shapes are 400, never coerced', async (t) => {
  const { url } = await serve(t);
  const bodies: unknown[] = [
    { markdown: 42 },
    { markdown: null },
    { markdown: ['a'] },
    { markdown: { toString: 'x' } },
    {},
    { markdown: 'ok', extra: 1 },
    [],
    '"a JSON string"',
    '1e400',
  ];
  for (const body of bodies) {
    const answer = await send(`${url}/render`, { body });
    assert.equal(answer.status, 400, JSON.stringify(body));
    assert.equal(answer.body.code, 'FST_ERR_VALIDATION', JSON.stringify(body));
  }
  for (const text of ['{"markdown": NaN}', '{"markdown": Infinity}', '{"markdown": "x"', '']) {
    const answer = await send(`${url}/render`, { body: text });
    assert.equal(answer.status, 400, text);
    assert.match(answer.body.code, /^FST_ERR_CTP_/, text);
  }
  const wrongType = await send(`${url}/render`, {
    body: 'markdown',
    headers: { 'content-type': 'application/xml' },
  });
  assert.equal(wrongType.status, 415);
});

test('bodies over the limit are refused with 413 before they are parsed', async (t) => {
  const { url } = await serve(t, { renderBodyLimit: 4096, bodyLimit: 1024 });
  const big = await send(`${url}/render`, { body: { markdown: 'x'.repeat(5000) } });
  assert.equal(big.status, 413);
  assert.equal(big.body.code, 'FST_ERR_CTP_BODY_TOO_LARGE');
  const fits = await send(`${url}/render`, { body: { markdown: 'x'.repeat(4000) } });
  assert.equal(fits.status, 200);
  const batch = await send(`${url}/users/batch`, {
    body: { ids: Array.from({ length: 100 }, (_, i) => 1_000_000_000 + i) },
  });
  assert.equal(batch.status, 413);
});

test('POST /users/batch: found users in order, the missing ids, duplicates once; bad ids are 400', async (t) => {
  const { url } = await serve(t, { lookups: 2 });
  const answer = await send(`${url}/users/batch`, { body: { ids: [3, 1, 5000, 3, 2] } });
  assert.equal(answer.status, 200);
  assert.deepEqual(
    answer.body.users.map((u: { id: number }) => u.id),
    [3, 1, 2],
  );
  assert.deepEqual(answer.body.missing, [5000]);
  const bad: unknown[] = [
    { ids: [] },
    { ids: ['1'] },
    { ids: [1.5] },
    { ids: [0] },
    { ids: [1e300] },
    { ids: [2 ** 31] },
    { ids: Array.from({ length: 101 }, (_, i) => i + 1) },
    { ids: 1 },
    {},
  ];
  for (const body of bad) {
    const refused = await send(`${url}/users/batch`, { body });
    assert.equal(refused.status, 400, JSON.stringify(body));
    assert.equal(refused.body.code, 'FST_ERR_VALIDATION');
  }
  const huge = await send(`${url}/users/batch`, { body: '{"ids":[1e400]}' });
  assert.equal(huge.status, 400, 'a number that parses to Infinity');
});

test('POST /users/:id/welcome answers 202 at once; the job finishes after the response', async (t) => {
  const service = await serve(t);
  const accepted = await send(`${service.url}/users/3/welcome`, { method: 'POST' });
  assert.equal(accepted.status, 202);
  const { job } = accepted.body;
  assert.equal(typeof job, 'string');
  const done = service.nextSettled();
  assert.equal((await done).outcome, 'ok');
  // The job records its result right after its task settles.
  await new Promise((resolve) => setImmediate(resolve));
  const state = await send(`${service.url}/jobs/${job}`);
  assert.equal(state.status, 200);
  assert.equal(state.body.state, 'done');
  assert.equal(typeof state.body.result.digest, 'string');
  assert.equal((await send(`${service.url}/jobs/999`)).status, 404);
  assert.equal((await send(`${service.url}/users/5000/welcome`, { method: 'POST' })).status, 404);
});

test('GET /health: ok with the loop delay and the pool state', async (t) => {
  const { url } = await serve(t);
  const answer = await send(`${url}/health`);
  assert.equal(answer.status, 200);
  assert.equal(answer.body.status, 'ok');
  assert.equal(answer.body.cpu, 'tandem');
  assert.equal(answer.body.pool.threads, 1);
  assert.equal(answer.body.pool.queued, 0);
  assert.equal(typeof answer.body.loop.p99, 'number');
});

test('unknown routes are 404 with a code', async (t) => {
  const { url } = await serve(t);
  const answer = await send(`${url}/nope`);
  assert.equal(answer.status, 404);
  assert.equal(typeof answer.body.code, 'string');
});
