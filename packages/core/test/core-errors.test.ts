// Every error of @tandem/core is a Tandem error: a permanent ERR_TANDEM_ code, its class name
// as `name`, and `TandemError.isTandemError()` true, the AggregateError ones included.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TandemError } from '@tandem/workers';
import { any } from '../src/combinators.ts';
import {
  AllFailedError,
  CancelledError,
  ChannelClosedError,
  RetryError,
  ScopeClosedError,
  TaskGroupError,
  TimeoutError,
} from '../src/errors.ts';
import { scope } from '../src/scope.ts';
import { flush } from './support/helpers.ts';

describe('core errors are Tandem errors', () => {
  test('every class has a code, its name, and the Tandem brand', () => {
    const errors = [
      new CancelledError(),
      new TimeoutError('s', 1),
      new TaskGroupError('s', [new Error('x')]),
      new AllFailedError([new Error('x')]),
      new ScopeClosedError('s', 'closed'),
      new RetryError([new Error('x')]),
      new ChannelClosedError('send'),
    ];
    for (const error of errors) {
      const name = error.constructor.name;
      assert.equal(TandemError.isTandemError(error), true, name);
      assert.match(error.code, /^ERR_TANDEM_[A-Z_]+$/, name);
      assert.equal(error.name, name);
      assert.ok(error instanceof Error, name);
    }
  });

  test('a failed scope rejects with a TaskGroupError that isTandemError recognizes', async () => {
    const boom = new Error('boom');
    await assert.rejects(
      scope(async (s) => {
        s.spawn(() => {
          throw boom;
        });
      }),
      (error: unknown) => {
        assert.ok(error instanceof TaskGroupError);
        assert.ok(error instanceof AggregateError);
        assert.equal(TandemError.isTandemError(error), true);
        assert.equal(error.code, 'ERR_TANDEM_TASK_GROUP');
        assert.deepEqual(error.errors, [boom]);
        return true;
      },
    );
  });

  test('any() whose functions all fail rejects with a coded AllFailedError', async () => {
    const a = new Error('a');
    const b = new Error('b');
    await assert.rejects(
      any([
        async () => {
          await flush();
          throw a;
        },
        async () => {
          throw b;
        },
      ]),
      (error: unknown) => {
        assert.ok(error instanceof AllFailedError);
        assert.ok(error instanceof AggregateError, 'still an AggregateError, like Promise.any');
        assert.equal(error.code, 'ERR_TANDEM_ALL_FAILED');
        assert.equal(TandemError.isTandemError(error), true);
        assert.deepEqual(error.errors, [a, b], 'in input order');
        return true;
      },
    );
  });

  test('any([]) rejects with AllFailedError and no errors, like Promise.any([])', async () => {
    await assert.rejects(any([]), (error: unknown) => {
      assert.ok(error instanceof AllFailedError);
      assert.deepEqual(error.errors, []);
      return true;
    });
  });
});

describe('ERR_TANDEM_SCOPE_CLOSED (docs/errors.md)', () => {
  test('a scope that is exiting (joining its children) still takes new children', async () => {
    let lateRan = false;
    await scope(async (s) => {
      s.spawn(async () => {
        await flush(); // the body has returned: the scope is joining
        s.spawn(() => {
          lateRan = true;
        });
      });
    });
    assert.equal(lateRan, true);
  });

  test('a scope that is aborting or has closed refuses them', async () => {
    let escaped: { spawn(fn: () => void): unknown } | undefined;
    let whileAborting: unknown;
    await scope(async (s) => {
      escaped = s;
      s.cancel();
      try {
        s.spawn(() => {});
      } catch (error) {
        whileAborting = error;
      }
    });
    assert.equal((whileAborting as ScopeClosedError).code, 'ERR_TANDEM_SCOPE_CLOSED');
    assert.equal((whileAborting as ScopeClosedError).state, 'aborting');
    assert.throws(() => escaped?.spawn(() => {}), {
      code: 'ERR_TANDEM_SCOPE_CLOSED',
      state: 'closed',
    });
  });
});
