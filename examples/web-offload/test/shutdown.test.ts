import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { fileGate } from './support/gate.ts';
import { hungUpOn, keepAlive, send, serve, start } from './support/http.ts';
import { spawnScript } from './support/process.ts';

const fixtureMain = 'test/fixtures/main.ts';

/** The service on a free port, one thread, a deadline no test reaches; `extra` flags after. */
const spawnService = (t: TestContext, extra: string[] = []) =>
  spawnScript(t, fixtureMain, ['--port', '0', '--threads', '1', '--deadline', '60000', ...extra]);

/**
 * Sends requests until the server refuses the connection (it stopped listening).
 */
async function untilRefused(url: string): Promise<void> {
  for (;;) {
    try {
      await send(`${url}/health`);
    } catch (error) {
      const { code } = error as { code?: string };
      if (code === 'ECONNREFUSED') return;
      // Accepted just before the listener closed, then closed as idle: try again.
      if (code !== 'ECONNRESET') throw error;
    }
  }
}

test('SIGTERM with a render in flight: no new connections, the render finishes, exit 143', {
  timeout: 60_000,
}, async (t) => {
  const gate = await fileGate(t);
  const { child, url, exited } = spawnService(t);
  const base = await url;
  const inFlight = start(`${base}/render`, { body: { markdown: gate.hold } });
  await gate.started(1);
  child.kill('SIGTERM');
  await untilRefused(base);
  await gate.open();
  const answer = await inFlight.answer;
  assert.equal(answer.status, 200);
  assert.equal(answer.body.html, '<p>released</p>\n');
  const exit = await exited;
  assert.equal(exit.code, 143, exit.stderr);
  assert.match(exit.stderr, /closed/);
});

test('SIGTERM: a request still running after the grace is cut off and its task cancelled; exit 143', {
  timeout: 60_000,
}, async (t) => {
  const gate = await fileGate(t);
  const { child, url, exited } = spawnService(t, ['--grace', '200']);
  const inFlight = start(`${await url}/render`, { body: { markdown: gate.hold } });
  const cutOff = hungUpOn(inFlight.answer);
  await gate.started(1);
  child.kill('SIGTERM');
  await cutOff;
  const exit = await exited;
  assert.equal(exit.code, 143, exit.stderr);
});

test('SIGINT exits 130; a second signal during the close exits at once', {
  timeout: 60_000,
}, async (t) => {
  const first = spawnService(t);
  await first.url;
  first.child.kill('SIGINT');
  assert.equal((await first.exited).code, 130);

  const gate = await fileGate(t);
  const second = spawnService(t);
  const held = start(`${await second.url}/render`, { body: { markdown: gate.hold } });
  held.answer.catch(() => {});
  await gate.started(1);
  second.child.kill('SIGTERM');
  await untilRefused(await second.url);
  second.child.kill('SIGTERM');
  assert.equal((await second.exited).code, 143);
});

test('close() waits for background jobs accepted before it', async (t) => {
  const service = await serve(t, { store: { latency: 200 } });
  const accepted = await send(`${service.url}/users/4/welcome`, { method: 'POST' });
  assert.equal(accepted.status, 202);
  assert.equal(service.jobs.get(accepted.body.job)?.state, 'pending');
  await service.close(Number.POSITIVE_INFINITY); // no grace timer: one of 1 ms would abort the job
  assert.equal(service.jobs.get(accepted.body.job)?.state, 'done');
  assert.equal(service.jobs.running, 0);
});

test('close() with a request in flight on a keep-alive connection: answered, then the connection is closed', {
  timeout: 30_000,
}, async (t) => {
  const service = await serve(t);
  const gate = await fileGate(t);
  const agent = keepAlive(t);
  assert.equal((await send(`${service.url}/health`, { agent })).status, 200);
  const inFlight = start(`${service.url}/render`, { agent, body: { markdown: gate.hold } });
  await gate.started(1);
  assert.equal(inFlight.req.reusedSocket, true);
  const closed = service.close(60_000);
  await gate.open();
  const answer = await inFlight.answer;
  assert.equal(answer.status, 200);
  // Well within the keep-alive timeout (72 s) and the grace: the server did not wait for
  // the client to close the connection.
  await closed;
  assert.equal(service.engine.stats().pool.cancelled, 0);
});
