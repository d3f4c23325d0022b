import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { tandemBackend } from '../src/cpu-backend.ts';
import { fileGate } from './support/gate.ts';
import { send, serve, start } from './support/http.ts';

test('a full queue sheds POST /render with 503, Retry-After and ERR_WEB_OVERLOADED; the light routes stay up', async (t) => {
  const service = await serve(t, { maxQueue: 2 });
  const gate = await fileGate(t);
  const { engine } = service;
  // Fill the pool with held renders until its queue is full (a worker takes a few first).
  const held: Promise<unknown>[] = [];
  while (engine.pool.stats().queued < 2) {
    held.push(engine.run('render', { markdown: gate.hold }).catch((error: unknown) => error));
    await nextTurn();
  }
  await gate.started(1);

  const shed = await send(`${service.url}/render`, { body: { markdown: '# hi' } });
  assert.equal(shed.status, 503);
  assert.equal(shed.body.code, 'ERR_WEB_OVERLOADED');
  assert.match(String(shed.headers['retry-after']), /^[1-9]\d*$/);
  const health = await send(`${service.url}/health`);
  assert.equal(health.status, 503);
  assert.equal(health.body.status, 'overloaded');
  assert.match(String(health.headers['retry-after']), /^[1-9]\d*$/);
  assert.equal((await send(`${service.url}/users/1`)).status, 200);

  await gate.open();
  for (const result of await Promise.all(held))
    assert.deepEqual(Object.keys(result as object), ['html', 'words', 'digest']);
  const served = await send(`${service.url}/render`, { body: { markdown: '# hi' } });
  assert.equal(served.status, 200);
  assert.equal((await send(`${service.url}/health`)).status, 200);
});

test('a shed request is refused before its body is read', async (t) => {
  const service = await serve(t, { maxQueue: 1 });
  const gate = await fileGate(t);
  const held: Promise<unknown>[] = [];
  while (service.engine.pool.stats().queued < 1) {
    held.push(service.engine.run('render', { markdown: gate.hold }).catch(() => {}));
    await nextTurn();
  }
  // Headers promise a body that never comes: an answer anyway means nobody waited for it.
  const { req, answer } = start(`${service.url}/render`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': '100000' },
  });
  req.flushHeaders();
  const shed = await answer;
  assert.equal(shed.status, 503);
  req.destroy();
  await gate.open();
  await Promise.all(held);
});

test('the estimate: no shedding while a worker is idle; shed once the estimated wait exceeds the deadline', async (t) => {
  const service = await serve(t);
  const gate = await fileGate(t);
  const backend = tandemBackend(service.engine);
  assert.equal(backend.shed(0), undefined, 'an idle worker: no wait');
  const held = service.engine.run('render', { markdown: gate.hold });
  await gate.started(1);
  const verdict = backend.shed(0);
  assert.ok(verdict !== undefined);
  assert.ok(verdict.retryAfter >= 1);
  assert.equal(backend.shed(60_000), undefined, 'a wait well inside the deadline is admitted');
  await gate.open();
  await held;
});

test('a deadline that passes while the task runs answers 504 ERR_TANDEM_TASK_TIMEOUT and cancels the task', async (t) => {
  const service = await serve(t, { deadline: 50 });
  const gate = await fileGate(t);
  const settled = service.nextSettled();
  const answer = await send(`${service.url}/render`, { body: { markdown: gate.hold } });
  assert.equal(answer.status, 504);
  assert.equal(answer.body.code, 'ERR_TANDEM_TASK_TIMEOUT');
  assert.equal(answer.headers['retry-after'], undefined, '504 is not a shed');
  assert.equal((await settled).outcome, 'timeout');
  assert.equal(service.engine.stats().pool.inWorkers, 0);
});
