import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  InvalidArgumentError,
  PoolDestroyedError,
  RemoteTaskError,
  registerError,
  TandemError,
  type TasksOf,
  WorkerPool,
} from '@tandem/workers';
import type errorTasks from './fixtures/errors.ts';
import { QuotaError } from './fixtures/errors.ts';
import type hostileErrors from './fixtures/hostile-errors.ts';
import { fixture } from './gate.ts';
import { isolated } from './isolated.ts';

type ErrorTasks = TasksOf<typeof errorTasks>;
type HostileErrors = TasksOf<typeof hostileErrors>;

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

// Hostile thrown values. Before the codec was hardened, rebuilding the first one threw on the
// loop (the task never settled, an unhandled rejection followed): it runs in a child process.
test('a registered class with a getter-only property the remote error owns: the task still rejects (7)', async () => {
  const child = await isolated(new URL('./fixtures/hostile-errors-run.ts', import.meta.url), [
    'getterOnly',
  ]);
  assert.equal(child.status, 0, `the child exits cleanly (stderr: ${child.stderr})`);
  assert.equal(child.result.status, 'rejected');
  assert.equal(child.result.class, 'GetterOnlyError');
  assert.equal(child.result.message, 'own detail');
  assert.equal(child.result.detail, 'own', 'an own property shadows the getter');
  assert.equal(child.result.crashed, 0);
});

// The others settled before too (with a crashed worker, a raw error, or data lost).
describe('hostile thrown values', () => {
  let pool: WorkerPool<HostileErrors>;
  before(async () => {
    pool = await WorkerPool.start<HostileErrors>({ tasks: fixture('hostile-errors'), threads: 1 });
  });
  after(() => pool.destroy());
  const rejection = async (task: keyof HostileErrors): Promise<any> => {
    const { crashed } = pool.stats();
    const error = await pool.run(task, undefined).then(
      () => assert.fail('the task resolved'),
      (e: unknown) => e,
    );
    assert.equal(pool.stats().crashed, crashed, 'no worker crashed');
    return error;
  };
  const options = { timeout: 20_000 };

  test(
    "a task's own error named PoolDestroyedError is a RemoteTaskError with its own code, not the engine's (19a)",
    options,
    async () => {
      const error = await rejection('posesAsEngine');
      assert.ok(error instanceof RemoteTaskError);
      assert.ok(!(error instanceof PoolDestroyedError));
      assert.equal(TandemError.isTandemError(error), false);
      assert.equal(error.name, 'PoolDestroyedError');
      assert.equal(error.code, 'ERR_TANDEM_POOL_DESTROYED');
    },
  );

  test(
    'a real Tandem error thrown in the worker comes back as its class (19a)',
    options,
    async () => {
      const error = await rejection('realTandemError');
      assert.ok(error instanceof InvalidArgumentError);
      assert.equal(error.code, 'ERR_TANDEM_INVALID_ARGUMENT');
    },
  );

  test('an own errors array on a plain Error is kept, each rebuilt (19b)', options, async () => {
    const error = await rejection('ownErrorsArray');
    assert.ok(error.errors[0] instanceof RangeError);
    assert.equal(error.errors[1], 'second');
  });

  test(
    'an error with throwing getters: what can be read is kept, the rest skipped (11)',
    options,
    async () => {
      const error = await rejection('throwingGetters');
      assert.equal(error.constructor, Error);
      assert.equal(error.message, 'the message is readable');
      assert.equal(error.code, undefined);
      assert.equal('detail' in error, false);
      assert.equal('cause' in error, false);
    },
  );

  test(
    'an error whose name, message and stack getters throw still rejects the task (11)',
    options,
    async () => {
      const error = await rejection('throwingBasics');
      assert.equal(error.constructor, Error);
      assert.equal(error.message, '');
    },
  );

  test(
    'a Proxy thrown around an error is read through: class and message kept (11)',
    options,
    async () => {
      const error = await rejection('throwsProxy');
      assert.ok(error instanceof RangeError);
      assert.equal(error.message, 'behind a proxy');
    },
  );

  test('a revoked Proxy thrown arrives as a string (11)', options, async () => {
    assert.equal(typeof (await rejection('throwsRevokedProxy')), 'string');
  });

  test(
    'an AggregateError whose errors is not an array keeps its class and message (11)',
    options,
    async () => {
      const error = await rejection('errorsNotArray');
      assert.ok(error instanceof AggregateError);
      assert.equal(error.message, 'not an array inside');
    },
  );
});
