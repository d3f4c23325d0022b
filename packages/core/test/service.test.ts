import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine, registerError } from '@tandem/core';
import { type Dictionary, LookupError } from './fixtures/dictionary.ts';
import type text from './fixtures/text.ts';

registerError('E_LOOKUP', LookupError);
const tasks = new URL('./fixtures/text.ts', import.meta.url);
const dictionary = new URL('./fixtures/dictionary.ts', import.meta.url);

test('a service keeps its state across calls', async (t) => {
  const engine = await Engine.start<typeof text>({ tasks, threads: 1 });
  t.after(() => engine.close());
  const dict = await engine.service<Dictionary>(dictionary);
  assert.equal(await dict.api.has('tandem'), true);
  assert.equal(await dict.api.has('loop'), false);
  assert.equal(await dict.call('add', ['loop']), 4);
  assert.equal(await dict.api.has('loop'), true);
});

test("a service method's error keeps its class, code and props", async (t) => {
  const engine = await Engine.start<typeof text>({ tasks, threads: 1 });
  t.after(() => engine.close());
  const dict = await engine.service<Dictionary>(dictionary);
  const error = await dict.api.fail('zzz').catch((e: unknown) => e);
  assert.ok(error instanceof LookupError);
  assert.equal(error.code, 'E_LOOKUP');
  assert.equal((error as unknown as { word: string }).word, 'zzz');
});

test('a crash of the service rejects every pending call with ERR_TANDEM_WORKER_CRASHED', async (t) => {
  const engine = await Engine.start<typeof text>({ tasks, threads: 1 });
  t.after(() => engine.close());
  const dict = await engine.service<Dictionary>(dictionary);
  const pending = dict.api.never();
  const crashing = dict.api.crash();
  await assert.rejects(pending, { code: 'ERR_TANDEM_WORKER_CRASHED', exitCode: 5 });
  await assert.rejects(crashing, { code: 'ERR_TANDEM_WORKER_CRASHED' });
  await assert.rejects(dict.api.has('x'), { code: 'ERR_TANDEM_SERVICE_CLOSED' });
});

test('a call abandoned through its signal rejects with the reason', async (t) => {
  const engine = await Engine.start<typeof text>({ tasks, threads: 1 });
  t.after(() => engine.close());
  const dict = await engine.service<Dictionary>(dictionary);
  const controller = new AbortController();
  const call = dict.call('never', [], { signal: controller.signal });
  controller.abort(new Error('gave up'));
  await assert.rejects(call, { message: 'gave up' });
  assert.equal(await dict.api.has('tandem'), true, 'the service still answers');
});

test('close() rejects pending calls with ERR_TANDEM_SERVICE_CLOSED', async (t) => {
  const engine = await Engine.start<typeof text>({ tasks, threads: 1 });
  t.after(() => engine.close());
  const dict = await engine.service<Dictionary>(dictionary);
  const pending = dict.api.never();
  const outcome = assert.rejects(pending, { code: 'ERR_TANDEM_SERVICE_CLOSED' });
  await dict.close();
  await outcome;
});

test('a service whose factory throws fails to start with ERR_TANDEM_TASK_MODULE_LOAD', async (t) => {
  const engine = await Engine.start<typeof text>({ tasks, threads: 1 });
  t.after(() => engine.close());
  await assert.rejects(
    engine.service(new URL('./fixtures/broken-service.ts', import.meta.url)),
    (error: { code: string; cause: Error }) => {
      assert.equal(error.code, 'ERR_TANDEM_TASK_MODULE_LOAD');
      assert.equal(error.cause.message, 'the service cannot start');
      return true;
    },
  );
});
