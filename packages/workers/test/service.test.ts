import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { Service, WorkerCrashedError } from '@tandem/workers';
import { mockTimersClock, setClock } from '@tandem/workers/internal';
import { transferHandlers, wrap } from 'comlink';
import adapter from 'comlink/dist/umd/node-adapter.js';
import type probeService from './fixtures/probe-service.ts';
import { fixture } from './gate.ts';
import { isolated } from './isolated.ts';

type Probe = typeof probeService;

// comlink's UMD adapter is `module.exports` at run time, `.default` to TypeScript.
const nodeEndpoint =
  (adapter as unknown as { default?: typeof adapter.default }).default ??
  (adapter as unknown as typeof adapter.default);

const start = (t: { after(fn: () => unknown): void }) =>
  Service.start<Probe>(fixture('probe-service')).then((service) => {
    t.after(() => service.close());
    return service;
  });

test('service.api is not thenable: await / return resolve to it, probes never reach the worker (2)', async () => {
  const child = await isolated(
    new URL('./fixtures/service-thenable-run.ts', import.meta.url),
    [],
    20_000,
  );
  assert.equal(child.status, 0, `the child exits cleanly (stderr: ${child.stderr})`);
  const report = child.result;
  assert.equal(report.awaited, true);
  assert.equal(report.returned, true);
  assert.equal(report.json, '{}');
  assert.equal(typeof report.inspected, 'string');
  assert.equal(typeof report.string, 'string');
  assert.deepEqual(report.probed, []);
  assert.equal(report.iterable, false);
  assert.equal(report.probes, 0, 'no probe was sent to the service');
});

test('an uncloneable argument rejects with ERR_TANDEM_UNCLONEABLE_INPUT and its path (19c)', async (t) => {
  const service = await start(t);
  await assert.rejects(service.api.echo({ list: [1, () => 1] }), {
    code: 'ERR_TANDEM_UNCLONEABLE_INPUT',
    path: 'args[0].list[1]',
  });
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  await assert.rejects(service.call('echo', [proxy]), {
    code: 'ERR_TANDEM_UNCLONEABLE_INPUT',
    path: 'args[0]',
  });
  assert.equal(await service.api.echo('still here'), 'still here');
});

test('a method returning an uncloneable value rejects with ERR_TANDEM_UNCLONEABLE_RESULT (19d)', async (t) => {
  const service = await start(t);
  await assert.rejects(service.api.returnsFunction(), {
    code: 'ERR_TANDEM_UNCLONEABLE_RESULT',
    path: 'result.nested.fn',
  });
  await assert.rejects(service.api.returnsProxy(), {
    code: 'ERR_TANDEM_UNCLONEABLE_RESULT',
    path: 'result',
  });
  // A revoked Proxy fails before comlink sees it: the promise machinery reads its `then`, and
  // the call rejects with JavaScript's own TypeError. It settles; the service survives.
  await assert.rejects(service.api.returnsRevokedProxy(), TypeError);
  assert.equal(await service.api.echo(1), 1, 'the service still answers');
});

test("a service method's error named like an engine error stays the method's (19a)", async (t) => {
  const service = await start(t);
  await assert.rejects(service.api.fails(), (error: Error & { code: string }) => {
    assert.equal(error.constructor.name, 'RemoteTaskError');
    assert.equal(error.name, 'PoolDestroyedError');
    assert.equal(error.code, 'ERR_TANDEM_POOL_DESTROYED');
    return true;
  });
});

test("comlink's throw handler is installed once, whatever the number of services (22)", async (t) => {
  await start(t);
  const installed = transferHandlers.get('throw');
  await start(t);
  assert.equal(transferHandlers.get('throw'), installed);
});

test("Tandem's throw handler still understands a plain comlink peer in the same process (22)", async (t) => {
  await start(t);
  const worker = new Worker(new URL('./fixtures/plain-comlink-worker.mjs', import.meta.url));
  t.after(() => worker.terminate());
  const remote = wrap<{ fail(): void }>(nodeEndpoint(worker));
  await assert.rejects(remote.fail(), { name: 'TypeError', message: 'from plain comlink' });
});

test('a service crash says the service is closed, not that a worker was replaced; closed resolves (22)', async (t) => {
  const service = await start(t);
  const pending = service.api.never();
  const crashing = service.api.crash();
  await assert.rejects(pending, (error: WorkerCrashedError) => {
    assert.equal(error.code, 'ERR_TANDEM_WORKER_CRASHED');
    assert.equal(error.exitCode, 5);
    const expected = new WorkerCrashedError(error.task, 5, { next: 'closed' });
    assert.equal(error.message, expected.message);
    return true;
  });
  await assert.rejects(crashing, { code: 'ERR_TANDEM_WORKER_CRASHED' });
  await service.closed;
  await assert.rejects(service.api.echo(1), { code: 'ERR_TANDEM_SERVICE_CLOSED' });
});

test('closed resolves once close() has ended the worker (22)', async () => {
  const service = await Service.start<Probe>(fixture('probe-service'));
  let closed = false;
  service.closed.then(() => {
    closed = true;
  });
  await service.close();
  await service.closed;
  assert.equal(closed, true);
});

test('Service.start refuses bad arguments with coded errors (23)', async () => {
  for (const module of [undefined, null, 5, {}, '']) {
    await assert.rejects(Service.start(module as unknown as string), {
      code: 'ERR_TANDEM_INVALID_ARGUMENT',
    });
  }
  const url = fixture('probe-service');
  await assert.rejects(Service.start(url, 'x' as never), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
  await assert.rejects(Service.start(url, { signal: 'x' as never }), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
  await assert.rejects(Service.start(url, { startTimeout: -1 }), {
    code: 'ERR_TANDEM_OUT_OF_RANGE',
  });
  await assert.rejects(Service.start(url, { startTimeout: 'x' as never }), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
});

test('Service.start with an aborted signal rejects with its reason before starting (23)', async () => {
  const reason = new Error('not now');
  await assert.rejects(
    Service.start(fixture('probe-service'), { signal: AbortSignal.abort(reason) }),
    (error) => error === reason,
  );
});

test('aborting Service.start rejects with the reason and ends the worker (23)', async () => {
  const controller = new AbortController();
  const starting = Service.start(fixture('hanging-service'), { signal: controller.signal });
  const reason = new Error('gave up');
  controller.abort(reason);
  await assert.rejects(starting, (error) => error === reason);
});

test('a service whose top-level await never resolves fails start with ERR_TANDEM_START_TIMEOUT (23)', async () => {
  await assert.rejects(Service.start(fixture('hanging-service'), { startTimeout: 50 }), {
    code: 'ERR_TANDEM_START_TIMEOUT',
    timeout: 50,
  });
});

test('startTimeout defaults to 30 000 ms (23)', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const previous = setClock(mockTimersClock);
  t.after(() => setClock(previous));
  const starting = Service.start(fixture('hanging-service'));
  let settled = false;
  const outcome = assert
    .rejects(starting, { code: 'ERR_TANDEM_START_TIMEOUT', timeout: 30_000 })
    .finally(() => {
      settled = true;
    });
  t.mock.timers.tick(29_999);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, false);
  t.mock.timers.tick(1);
  await outcome;
});

test('a method the service does not have rejects with ERR_TANDEM_INVALID_ARGUMENT naming the methods', async (t) => {
  const service = await start(t);
  for (const method of ['nope', '', 'hasOwnProperty', 'isPrototypeOf']) {
    await assert.rejects(service.call(method as never, [] as never), {
      code: 'ERR_TANDEM_INVALID_ARGUMENT',
    });
  }
});
