import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileGate } from './support/gate.ts';
import { hungUpOn, keepAlive, send, serve, start } from './support/http.ts';

const outcomes = (service: { settled: { outcome: string }[] }) =>
  service.settled.map((e) => e.outcome);

for (const method of ['POST', 'GET'] as const) {
  test(`${method} /render: a client that hangs up mid-task on a reused keep-alive connection cancels its task`, async (t) => {
    const service = await serve(t);
    const gate = await fileGate(t);
    const agent = keepAlive(t);
    const call = (markdown: string) =>
      method === 'POST'
        ? start(`${service.url}/render`, { agent, body: { markdown } })
        : start(`${service.url}/render?markdown=${encodeURIComponent(markdown)}`, { agent });

    const first = await call('# first').answer;
    assert.equal(first.status, 200);
    assert.equal(first.reused, false);

    const held = call(gate.hold);
    const hungUp = hungUpOn(held.answer);
    await gate.started(1);
    assert.equal(
      held.req.reusedSocket,
      true,
      'the held request went on the first one’s connection',
    );
    const settled = service.nextSettled();
    held.req.destroy();
    await hungUp;
    assert.equal((await settled).outcome, 'cancelled');

    const next = await call('# next').answer;
    assert.equal(next.status, 200);
    assert.deepEqual(outcomes(service), ['ok', 'cancelled', 'ok']);
    assert.equal(service.engine.stats().pool.cancelled, 1);
  });
}

test('requests answered normally on a keep-alive connection abort nothing, even once it closes', async (t) => {
  const service = await serve(t);
  const gate = await fileGate(t);
  const agent = keepAlive(t);
  for (let i = 0; i < 3; i++) {
    const answer = await send(`${service.url}/render`, { agent, body: { markdown: `# ${i}` } });
    assert.equal(answer.status, 200);
  }
  // A task still running when the body has long been read: fastify's request.signal would
  // have aborted it here (fastify#6725).
  const held = start(`${service.url}/render`, { agent, body: { markdown: gate.hold } });
  await gate.started(1);
  await gate.open();
  const answer = await held.answer;
  assert.equal(answer.status, 200);
  assert.equal(answer.body.html, '<p>released</p>\n');
  const batch = await send(`${service.url}/users/batch`, { agent, body: { ids: [1, 2, 3] } });
  assert.equal(batch.status, 200);
  // The connection closes after its requests were answered: still nothing to cancel.
  const closed = new Promise((resolve) => service.app.server.once('connection', resolve));
  agent.destroy();
  await send(`${service.url}/health`); // a new connection: the old one's close was seen first
  await closed;
  assert.deepEqual(outcomes(service), ['ok', 'ok', 'ok', 'ok']);
  assert.equal(service.engine.stats().pool.cancelled, 0);
});

test('a task that ignores its cancellation is ended by the grace kill; the pool goes on', async (t) => {
  const service = await serve(t, { grace: 50 });
  const gate = await fileGate(t);
  const deaf = start(`${service.url}/render`, { body: { markdown: gate.deaf } });
  const hungUp = hungUpOn(deaf.answer);
  await gate.started(1);
  const settled = service.nextSettled();
  deaf.req.destroy();
  await hungUp;
  const event = await settled;
  assert.equal(event.outcome, 'cancelled');
  const next = await send(`${service.url}/render`, { body: { markdown: '# after' } });
  assert.equal(next.status, 200);
  assert.equal(service.engine.stats().pool.workersReplaced, 1);
});

test('a batch whose client hangs up cancels its lookups, waiting or under way', {
  timeout: 30_000,
}, async (t) => {
  const service = await serve(t, { store: { latency: 60_000 }, lookups: 1 });
  const batch = start(`${service.url}/users/batch`, { body: { ids: [1, 2, 3, 4] } });
  const hungUp = hungUpOn(batch.answer);
  // The first lookup under way (the limiter's state is the only sign of it): a turn at a time.
  while (service.lookups.stats().active === 0) await new Promise((r) => setImmediate(r));
  assert.equal(service.lookups.stats().waiting, 3);
  batch.req.destroy();
  await hungUp;
  // One lookup was under way (60 s), three waited for the limiter: all cancelled at once.
  await service.lookups.onIdle();
  assert.equal(service.lookups.stats().active, 0);
});

test('a batch past its deadline answers 504 with the scope timeout code', async (t) => {
  const service = await serve(t, { store: { latency: 60_000 }, deadline: 20 });
  const answer = await send(`${service.url}/users/batch`, { body: { ids: [1, 2] } });
  assert.equal(answer.status, 504);
  assert.equal(answer.body.code, 'ERR_TANDEM_TIMEOUT');
});
