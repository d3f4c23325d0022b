import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, test } from 'node:test';
import { deferred } from '@tandem/workers/internal';
import { currentScope, tasks } from '../src/current-scope.ts';
import { type CancelledError, TaskGroupError } from '../src/errors.ts';
import { openScope, scope } from '../src/scope.ts';
import { flush, track, untilAborted } from './support/helpers.ts';

describe('scope (CPython test_taskgroups behaviours)', () => {
  test('exit waits for all children', async () => {
    const a = deferred<void>();
    const b = deferred<void>();
    const done: string[] = [];
    const run = track(
      scope(async (s) => {
        s.spawn(async () => {
          await a.promise;
          done.push('a');
        });
        s.spawn(async () => {
          await b.promise;
          done.push('b');
        });
      }),
    );
    await flush();
    assert.equal(run.settled(), false);
    a.resolve();
    await flush();
    assert.equal(run.settled(), false);
    b.resolve();
    await run.promise;
    assert.deepEqual(done, ['a', 'b']);
  });

  test('a cancelled child leaves its siblings and the scope alone', async () => {
    const sibling = deferred<string>();
    let cancelledTask: { state: string } | undefined;
    const value = await scope(async (s) => {
      const t1 = s.spawn((signal) => untilAborted(signal));
      const t2 = s.spawn(() => sibling.promise);
      cancelledTask = t1;
      await flush();
      t1.cancel();
      await flush();
      assert.equal(s.signal.aborted, false);
      sibling.resolve('ok');
      return t2.result;
    });
    assert.equal(value, 'ok');
    assert.equal(cancelledTask?.state, 'cancelled');
  });

  test('a child error cancels its siblings and the body, and code after the block never runs', async () => {
    const boom = new Error('boom');
    let siblingSignal: AbortSignal | undefined;
    let afterAwait = false;
    await assert.rejects(
      scope(async (s) => {
        s.spawn((signal) => {
          siblingSignal = signal;
          return untilAborted(signal);
        });
        s.spawn(async () => {
          throw boom;
        });
        await untilAborted(s.signal);
        afterAwait = true;
      }),
      (error: unknown) => {
        assert.ok(error instanceof TaskGroupError);
        assert.equal(error.code, 'ERR_TANDEM_TASK_GROUP');
        assert.deepEqual(error.errors, [boom]);
        return true;
      },
    );
    assert.equal(siblingSignal?.aborted, true);
    assert.equal((siblingSignal!.reason as CancelledError).code, 'ERR_TANDEM_CANCELLED');
    assert.equal(afterAwait, false);
  });

  test('an outside cancel reaches every child and propagates as the same cancel', async () => {
    const outside = new AbortController();
    const reason = new Error('shutting down');
    const signals: AbortSignal[] = [];
    const run = scope({ signal: outside.signal }, async (s) => {
      for (let i = 0; i < 3; i++) {
        s.spawn((signal) => {
          signals.push(signal);
          return untilAborted(signal);
        });
      }
      await untilAborted(s.signal);
    });
    await flush();
    outside.abort(reason);
    await assert.rejects(run, (error) => error === reason);
    assert.equal(signals.length, 3);
    assert.ok(signals.every((signal) => signal.aborted && signal.reason === reason));
  });

  test('a nested scope cancelled by its parent rejects with the parent reason, not a group', async () => {
    const reason = new Error('parent gave up');
    let inner: Promise<unknown> | undefined;
    await scope(async (outer) => {
      inner = scope(async (s) => {
        s.spawn((signal) => untilAborted(signal));
        await untilAborted(s.signal);
      });
      inner.catch(() => {});
      await flush();
      outer.cancel(reason);
    });
    await assert.rejects(inner!, (error) => error === reason);
  });

  test('errors raised while cleaning up after a cancel are grouped', async () => {
    const outside = new AbortController();
    const cleanup1 = new Error('cleanup 1');
    const cleanup2 = new Error('cleanup 2');
    const run = scope({ signal: outside.signal }, async (s) => {
      s.spawn(async (signal) => {
        await untilAborted(signal).catch(() => {});
        throw cleanup1;
      });
      s.spawn(async (signal) => {
        await untilAborted(signal).catch(() => {});
        throw cleanup2;
      });
    });
    await flush();
    outside.abort(new Error('stop'));
    await assert.rejects(run, (error: unknown) => {
      assert.ok(TaskGroupError.isTaskGroupError(error));
      assert.deepEqual(new Set(error.errors), new Set([cleanup1, cleanup2]));
      return true;
    });
  });

  test('a body error cancels the children and joins the group', async () => {
    const bodyError = new Error('body');
    let childSignal: AbortSignal | undefined;
    await assert.rejects(
      scope(async (s) => {
        s.spawn((signal) => {
          childSignal = signal;
          return untilAborted(signal);
        });
        await flush();
        throw bodyError;
      }),
      (error: unknown) => {
        assert.ok(error instanceof TaskGroupError);
        assert.deepEqual(error.errors, [bodyError]);
        return true;
      },
    );
    assert.equal(childSignal?.aborted, true);
  });

  test('nested groups nest their errors', async () => {
    const leaf = new Error('leaf');
    await assert.rejects(
      scope({ name: 'outer' }, async (outer) => {
        outer.spawn(() =>
          scope({ name: 'inner' }, async (inner) => {
            inner.spawn(async () => {
              throw leaf;
            });
          }),
        );
      }),
      (error: unknown) => {
        assert.ok(error instanceof TaskGroupError);
        assert.equal(error.errors.length, 1);
        const nested = error.errors[0];
        assert.ok(nested instanceof TaskGroupError);
        assert.deepEqual(nested.errors, [leaf]);
        assert.match(nested.scope, /^outer\/task-\d+\/inner$/);
        return true;
      },
    );
  });

  test('spawning after a failure throws ERR_TANDEM_SCOPE_CLOSED and never starts the work', async () => {
    let started = false;
    let spawnError: unknown;
    await assert.rejects(
      scope(async (s) => {
        s.spawn(async () => {
          throw new Error('first');
        });
        await untilAborted(s.signal).catch(() => {});
        try {
          s.spawn(() => {
            started = true;
          });
        } catch (error) {
          spawnError = error;
        }
      }),
      { code: 'ERR_TANDEM_TASK_GROUP' },
    );
    assert.equal((spawnError as { code?: string }).code, 'ERR_TANDEM_SCOPE_CLOSED');
    assert.equal((spawnError as { state?: string }).state, 'aborting');
    await flush();
    assert.equal(started, false);
  });

  test('spawning into a closed scope throws ERR_TANDEM_SCOPE_CLOSED', async () => {
    let escaped: { spawn(fn: () => void): unknown } | undefined;
    await scope(async (s) => {
      escaped = s;
    });
    assert.throws(() => escaped!.spawn(() => {}), {
      code: 'ERR_TANDEM_SCOPE_CLOSED',
      state: 'closed',
    });
  });

  test('children spawned while the scope is exiting are awaited too', async () => {
    const gate = deferred<void>();
    const late = deferred<void>();
    const order: string[] = [];
    const run = track(
      scope(async (s) => {
        // The last child settles while the scope is joining, and its result's reaction
        // spawns one more just as the scope sees no child pending.
        const first = s.spawn(() => gate.promise);
        void first.result.then(() =>
          s.spawn(async () => {
            await late.promise;
            order.push('late child');
          }),
        );
      }),
    );
    await flush();
    gate.resolve();
    await flush();
    assert.equal(run.settled(), false);
    late.resolve();
    await run.promise;
    assert.deepEqual(order, ['late child']);
  });

  test('a scope that cancels itself exits cleanly', async () => {
    const result = await scope(async (s) => {
      s.spawn((signal) => untilAborted(signal));
      s.cancel();
      await untilAborted(s.signal);
      return 'unreachable';
    });
    assert.equal(result, undefined);
  });

  test('a self-cancelled scope still returns the value its body produced', async () => {
    const result = await scope(async (s) => {
      s.spawn((signal) => untilAborted(signal));
      s.cancel();
      return 42;
    });
    assert.equal(result, 42);
  });

  test('no promise is left unhandled when children fail and nobody reads their results', async (t) => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    t.after(() => process.off('unhandledRejection', onUnhandled));
    await assert.rejects(
      scope(async (s) => {
        s.spawn(async () => {
          throw new Error('a');
        });
        s.spawn(async (signal) => untilAborted(signal));
      }),
      { code: 'ERR_TANDEM_TASK_GROUP' },
    );
    await flush();
    await flush();
    assert.deepEqual(unhandled, []);
  });

  test('a task result settles with its value or error', async () => {
    await scope(async (s) => {
      const task = s.spawn(async () => 7, { name: 'seven' });
      assert.equal(await task.result, 7);
      assert.equal(task.state, 'fulfilled');
      assert.equal(task.name, 'seven');
    });
  });

  test('children get the scope signal and run inside their own context', async () => {
    await scope({ name: 'root' }, async (s) => {
      assert.equal(currentScope()?.signal, s.signal);
      const task = s.spawn(
        (signal) => {
          const ctx = currentScope();
          assert.equal(ctx?.signal, signal);
          assert.equal(ctx?.path, 'root/child');
          return signal;
        },
        { name: 'child' },
      );
      const childSignal = await task.result;
      s.cancel(new Error('x'));
      assert.equal(childSignal.aborted, false, 'a settled child is unlinked from its scope');
    });
    assert.equal(currentScope(), undefined);
  });

  test('a long-lived outside signal keeps no listener once scopes settle', async () => {
    const longLived = new AbortController();
    for (let i = 0; i < 50; i++) {
      await scope({ signal: longLived.signal }, async (s) => {
        s.spawn(async () => {});
      });
    }
    assert.equal(getEventListeners(longLived.signal, 'abort').length, 0);
  });

  test('tasks() shows the live tree with names, paths, states, start times and deadlines', async () => {
    const gate = deferred<void>();
    const seen = deferred<ReturnType<typeof tasks>>();
    const run = scope({ name: 'crawl', timeout: 60_000 }, async (s) => {
      s.spawn(
        async () => {
          seen.resolve(tasks());
          await gate.promise;
        },
        { name: 'fetch' },
      );
    });
    const forest = await seen.promise;
    const crawl = forest.find((info) => info.name === 'crawl');
    assert.ok(crawl);
    assert.equal(crawl.kind, 'scope');
    assert.equal(crawl.state, 'running');
    assert.equal(typeof crawl.startedAt, 'number');
    const [fetchInfo] = crawl.children;
    assert.equal(fetchInfo?.path, 'crawl/fetch');
    assert.equal(fetchInfo?.state, 'running');
    assert.equal(fetchInfo?.deadline, crawl.deadline);
    assert.ok(crawl.deadline !== undefined);
    gate.resolve();
    await run;
    assert.equal(
      tasks().find((info) => info.name === 'crawl'),
      undefined,
    );
  });

  test('a scope opened by code that outlived its parent scope still shows in tasks()', async () => {
    const seen = deferred<ReturnType<typeof tasks>>();
    await scope({ name: 'gone' }, async () => {
      // The callback keeps the context of a scope that will have closed when it runs.
      setImmediate(() => void scope({ name: 'orphan' }, async () => seen.resolve(tasks())));
    });
    const orphan = (await seen.promise).find((info) => info.name === 'orphan');
    assert.equal(orphan?.path, 'gone/orphan');
  });

  test('await using joins every child at the end of the block', async () => {
    const gate = deferred<void>();
    let finished = false;
    const block = track(
      (async () => {
        await using s = openScope({ name: 'block' });
        s.spawn(async () => {
          await gate.promise;
          finished = true;
        });
      })(),
    );
    await flush();
    assert.equal(block.settled(), false);
    gate.resolve();
    await block.promise;
    assert.equal(finished, true);
  });

  test('await using throws the group when a child fails', async () => {
    const boom = new Error('boom');
    await assert.rejects(
      (async () => {
        await using s = openScope();
        s.spawn(async () => {
          throw boom;
        });
      })(),
      (error: unknown) => error instanceof TaskGroupError && error.errors[0] === boom,
    );
  });

  test('invalid options are rejected at the boundary with a code', async () => {
    await assert.rejects(
      scope({ timeout: Number.NaN }, async () => {}),
      {
        code: 'ERR_TANDEM_INVALID_ARGUMENT',
      },
    );
    await assert.rejects(
      scope({ abortGrace: -1 }, async () => {}),
      { code: 'ERR_TANDEM_OUT_OF_RANGE' },
    );
  });
});
