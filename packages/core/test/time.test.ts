import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deferred } from '@tandem/workers/internal';
import { currentScope } from '../src/current-scope.ts';
import { CancelledError, TimeoutError } from '../src/errors.ts';
import { scope } from '../src/scope.ts';
import { moveOnAfter, sleep, timeout } from '../src/time.ts';
import { flush, track, untilAborted, useMockClock } from './support/helpers.ts';

describe('timeout (CPython test_timeouts / test_waitfor behaviours)', () => {
  test('the timeout raises only in the scope that expired', async (t) => {
    const timers = useMockClock(t);
    let innerError: unknown;
    const outer = scope({ name: 'outer', timeout: 1_000 }, async (s) => {
      try {
        await timeout(100, (inner) => untilAborted(inner.signal), { name: 'inner' });
      } catch (error) {
        innerError = error;
      }
      assert.equal(s.signal.aborted, false);
      return 'outer finished';
    });
    await flush();
    timers.tick(100);
    assert.equal(await outer, 'outer finished');
    assert.ok(innerError instanceof TimeoutError);
    assert.equal(innerError.code, 'ERR_TANDEM_TIMEOUT');
    assert.equal(innerError.scope, 'outer/inner');
  });

  test('nested scopes with the same deadline: only the outer one raises', async (t) => {
    const timers = useMockClock(t);
    let inner: { expired: boolean } | undefined;
    let innerError: unknown;
    const run = scope({ name: 'outer', deadline: 100 }, async (s) => {
      try {
        await scope({ name: 'inner', deadline: 100 }, async (i) => {
          inner = i;
          await untilAborted(i.signal);
        });
      } catch (error) {
        innerError = error;
        throw error;
      }
      return s;
    });
    await flush();
    timers.tick(100);
    await assert.rejects(run, (error: unknown) => {
      assert.ok(error instanceof TimeoutError);
      assert.equal(error.scope, 'outer');
      return true;
    });
    assert.equal(inner?.expired, false);
    assert.ok(CancelledError.isCancelledError(innerError), 'the inner scope passes the cancel up');
  });

  test('nested same deadline already passed when the inner opens: still only the outer raises', async (t) => {
    const timers = useMockClock(t);
    let inner: { expired: boolean } | undefined;
    const run = scope({ name: 'outer', deadline: 100 }, async () => {
      // The clock has passed the shared deadline but the outer timer has not run yet.
      timers.setTime(100);
      await scope({ name: 'inner', deadline: 100 }, async (i) => {
        inner = i;
        await untilAborted(i.signal);
      });
    });
    await flush();
    timers.tick(0);
    await assert.rejects(
      run,
      (error: unknown) => error instanceof TimeoutError && error.scope === 'outer',
    );
    assert.equal(inner?.expired, false);
  });

  test('the outer deadline still fires after an inner timeout was handled', async (t) => {
    const timers = useMockClock(t);
    let handled = false;
    const run = timeout(200, async (s) => {
      await timeout(100, (inner) => untilAborted(inner.signal)).catch((error: unknown) => {
        handled = (error as TimeoutError).code === 'ERR_TANDEM_TIMEOUT';
      });
      await untilAborted(s.signal);
    });
    await flush();
    timers.tick(100);
    await flush();
    assert.equal(handled, true);
    timers.tick(100);
    await assert.rejects(run, { code: 'ERR_TANDEM_TIMEOUT' });
  });

  test('a foreign error passes through a timeout unchanged', async (t) => {
    useMockClock(t);
    const foreign = new RangeError('not mine');
    await assert.rejects(
      timeout(100, async () => {
        throw foreign;
      }),
      (error) => error === foreign,
    );
  });

  test('an outside cancel stays a cancel, not a timeout', async (t) => {
    const timers = useMockClock(t);
    const outside = new AbortController();
    const reason = new Error('user pressed stop');
    const run = timeout(100, (s) => untilAborted(s.signal), { signal: outside.signal });
    await flush();
    outside.abort(reason);
    timers.tick(100);
    await assert.rejects(run, (error) => error === reason);
  });

  test('an outside cancel of the enclosing scope reaches a timeout as that cancel', async (t) => {
    useMockClock(t);
    const reason = new Error('parent cancelled');
    let inner: Promise<unknown> | undefined;
    await scope(async (s) => {
      inner = timeout(100, (i) => untilAborted(i.signal));
      inner.catch(() => {});
      await flush();
      s.cancel(reason);
    });
    await assert.rejects(inner!, (error) => error === reason);
  });

  test('a zero or negative timeout never starts the work', async (t) => {
    useMockClock(t);
    for (const ms of [0, -5]) {
      let started = false;
      await assert.rejects(
        timeout(ms, () => {
          started = true;
        }),
        { code: 'ERR_TANDEM_TIMEOUT' },
      );
      assert.equal(started, false);
    }
  });

  test('reschedule moves an active deadline later and earlier', async (t) => {
    const timers = useMockClock(t);
    const later = track(
      timeout(100, async (s) => {
        s.reschedule(300);
        await untilAborted(s.signal);
      }),
    );
    await flush();
    timers.tick(150);
    await flush();
    assert.equal(later.settled(), false);
    timers.tick(150);
    await assert.rejects(later.promise, { code: 'ERR_TANDEM_TIMEOUT' });

    const earlier = timeout(10_000, async (s) => {
      s.reschedule(Date.now() + 50);
      await untilAborted(s.signal);
    });
    await flush();
    timers.tick(50);
    await assert.rejects(earlier, { code: 'ERR_TANDEM_TIMEOUT' });
  });

  test('reschedule of an outer scope lets an inner one with a later deadline fire', async (t) => {
    const timers = useMockClock(t);
    let innerError: unknown;
    const run = scope({ deadline: 100 }, async (outer) => {
      await scope({ deadline: 100, name: 'inner' }, async (inner) => {
        outer.reschedule(500);
        await untilAborted(inner.signal);
      }).catch((error: unknown) => {
        innerError = error;
      });
      return 'outer survived';
    });
    await flush();
    timers.tick(100);
    assert.equal(await run, 'outer survived');
    assert.ok(innerError instanceof TimeoutError);
    assert.equal(innerError.scope.endsWith('inner'), true);
  });

  test('reschedule after expiry throws ERR_TANDEM_SCOPE_CLOSED', async (t) => {
    const timers = useMockClock(t);
    let rescheduleError: unknown;
    const run = timeout(10, async (s) => {
      await untilAborted(s.signal).catch(() => {});
      try {
        s.reschedule(1_000);
      } catch (error) {
        rescheduleError = error;
      }
    });
    await flush();
    timers.tick(10);
    await run.catch(() => {});
    assert.equal((rescheduleError as { code?: string }).code, 'ERR_TANDEM_SCOPE_CLOSED');
  });

  test('the timeout error is raised only after the inner work has settled', async (t) => {
    const timers = useMockClock(t);
    const cleanupDone = deferred<void>();
    let cancelSeen: unknown;
    const run = track(
      timeout(100, async (s) => {
        try {
          await untilAborted(s.signal);
        } catch (error) {
          cancelSeen = error;
          await cleanupDone.promise;
          throw error;
        }
      }),
    );
    await flush();
    timers.tick(100);
    await flush();
    assert.equal(run.settled(), false);
    cleanupDone.resolve();
    await assert.rejects(run.promise, (error: unknown) => {
      assert.ok(error instanceof TimeoutError);
      assert.equal(error.cause, cancelSeen, 'the cancel is the cause');
      return true;
    });
  });

  test('a result that arrives in time beats the timeout', async (t) => {
    const timers = useMockClock(t);
    const value = deferred<string>();
    const run = timeout(100, () => value.promise);
    await flush();
    timers.tick(99);
    value.resolve('in time');
    await flush();
    timers.tick(1);
    assert.equal(await run, 'in time');
  });

  test('a result produced despite the expiry wins over the timeout', async (t) => {
    const timers = useMockClock(t);
    const work = deferred<string>();
    const run = timeout(100, () => work.promise);
    await flush();
    timers.tick(100);
    work.resolve('finished anyway');
    assert.equal(await run, 'finished anyway');
  });

  test('moveOnAfter returns undefined instead of throwing', async (t) => {
    const timers = useMockClock(t);
    const run = moveOnAfter(100, (s) => untilAborted(s.signal));
    await flush();
    timers.tick(100);
    assert.equal(await run, undefined);
    assert.equal(await moveOnAfter(100, async () => 'fast'), 'fast');
  });

  test('moveOnAfter still rejects with an enclosing timeout', async (t) => {
    const timers = useMockClock(t);
    const run = timeout(50, () => moveOnAfter(100, (s) => untilAborted(s.signal)));
    await flush();
    timers.tick(50);
    await assert.rejects(run, { code: 'ERR_TANDEM_TIMEOUT' });
  });

  test('deadlines propagate to currentScope() for engine.run, the earlier one winning', async (t) => {
    useMockClock(t);
    await timeout(100, async () => {
      assert.equal(currentScope()?.deadline, 100);
      await timeout(500, async () => {
        assert.equal(currentScope()?.deadline, 100);
      });
      await scope(async (s) => {
        s.spawn(async () => {
          assert.equal(currentScope()?.deadline, 100);
        });
      });
    });
  });

  test('sleep waits on the clock and rejects at once when aborted', async (t) => {
    const timers = useMockClock(t);
    const slept = track(sleep(100));
    timers.tick(99);
    await flush();
    assert.equal(slept.settled(), false);
    timers.tick(1);
    await slept.promise;

    const controller = new AbortController();
    const reason = new Error('stop');
    const aborted = sleep(1_000, { signal: controller.signal });
    controller.abort(reason);
    await assert.rejects(aborted, (error) => error === reason);
  });

  test('sleep uses the running scope signal by default', async (t) => {
    const timers = useMockClock(t);
    const run = timeout(10, () => sleep(1_000));
    await flush();
    timers.tick(10);
    await assert.rejects(run, { code: 'ERR_TANDEM_TIMEOUT' });
  });
});
