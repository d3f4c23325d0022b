import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RemoteTaskError, registerError, type TasksOf, WorkerPool } from '@tandem/workers';
import type errorTasks from './fixtures/errors.ts';
import { QuotaError } from './fixtures/errors.ts';
import { fixture } from './gate.ts';

type ErrorTasks = TasksOf<typeof errorTasks>;

registerError('E_QUOTA', QuotaError);

test('a registered class comes back as an instance with code, cause, props and the worker stack', async (t) => {
  const pool = await WorkerPool.start<ErrorTasks>({ tasks: fixture('errors'), threads: 1 });
  t.after(() => pool.destroy());
  const error = await pool.run('quota', undefined).catch((e: unknown) => e);
  assert.ok(error instanceof QuotaError);
  assert.equal(error.name, 'QuotaError');
  assert.equal(error.code, 'E_QUOTA');
  assert.equal(error.limit, 10);
  assert.equal(error.message, 'quota of 10 exceeded');
  assert.ok(error.cause instanceof TypeError);
  assert.equal((error.cause as Error).message, 'inner cause');
  assert.match(error.stack ?? '', /fixtures\/errors\.ts/);
});

test('AggregateError keeps its errors, each rebuilt', async (t) => {
  const pool = await WorkerPool.start<ErrorTasks>({ tasks: fixture('errors'), threads: 1 });
  t.after(() => pool.destroy());
  const error = await pool.run('aggregate', undefined).catch((e: unknown) => e);
  assert.ok(error instanceof AggregateError);
  assert.equal(error.message, 'both failed');
  assert.ok(error.errors[0] instanceof RangeError);
  assert.ok(error.errors[1] instanceof RemoteTaskError);
  assert.equal(error.errors[1].name, 'UnregisteredError');
});

test('an unregistered class arrives as RemoteTaskError with its name, code and own props', async (t) => {
  const pool = await WorkerPool.start<ErrorTasks>({ tasks: fixture('errors'), threads: 1 });
  t.after(() => pool.destroy());
  const error = await pool.run('unregistered', undefined).catch((e: unknown) => e);
  assert.ok(error instanceof RemoteTaskError);
  assert.equal(error.name, 'UnregisteredError');
  assert.equal(error.code, 'E_UNREG');
  assert.deepEqual((error as unknown as { detail: unknown }).detail, { retryable: false });
});

test('a thrown non-error value arrives as itself; async rejections too', async (t) => {
  const pool = await WorkerPool.start<ErrorTasks>({ tasks: fixture('errors'), threads: 1 });
  t.after(() => pool.destroy());
  await assert.rejects(pool.run('throwsString', undefined), (e) => e === 'a plain string');
  await assert.rejects(pool.run('rejects', undefined), RangeError);
});
