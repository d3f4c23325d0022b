import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deferred } from '@tandem/workers/internal';
import { limiter } from '../src/limiter.ts';
import { scope } from '../src/scope.ts';
import { flush, track, useMockClock } from './support/helpers.ts';

describe('limiter', () => {
  test('concurrency caps the permits held at once', async () => {
    const limit = limiter({ concurrency: 2 });
    const first = await limit.acquire();
    await limit.acquire();
    const third = track(limit.acquire());
    await flush();
    assert.equal(third.settled(), false);
    assert.deepEqual(limit.stats(), { active: 2, waiting: 1, keys: 1, paused: false });
    first.release();
    first.release(); // releasing twice gives back one permit only
    await third.promise;
    assert.equal(limit.stats().active, 2);
  });

  test('a permit is Disposable: leaving a using block releases it', async () => {
    const limit = limiter({ concurrency: 1 });
    {
      using _permit = await limit.acquire();
      assert.equal(limit.stats().active, 1);
    }
    assert.equal(limit.stats().active, 0);
  });

  test('the token bucket refills continuously, with no fixed-window burst', async (t) => {
    const timers = useMockClock(t);
    const limit = limiter({ rate: { limit: 2, per: 1_000 } });
    const grantedAt: number[] = [];
    for (let i = 0; i < 4; i++) void limit.acquire().then(() => grantedAt.push(Date.now()));
    await flush();
    assert.deepEqual(grantedAt, [0, 0]);
    timers.tick(499);
    await flush();
    assert.deepEqual(grantedAt, [0, 0]);
    timers.tick(1);
    await flush();
    assert.deepEqual(grantedAt, [0, 0, 500]);
    timers.tick(500);
    await flush();
    assert.deepEqual(grantedAt, [0, 0, 500, 1_000]);
  });

  test('burst bounds what a quiet bucket lets through at once', async (t) => {
    const timers = useMockClock(t);
    const limit = limiter({ rate: { limit: 10, per: 1_000, burst: 3 } });
    timers.tick(10_000);
    let granted = 0;
    for (let i = 0; i < 5; i++) void limit.acquire().then(() => granted++);
    await flush();
    assert.equal(granted, 3);
  });

  test('each key has its own limits', async () => {
    const limit = limiter({ concurrency: 1 });
    await limit.acquire(undefined, { key: 'a.example' });
    const b = track(limit.acquire(undefined, { key: 'b.example' }));
    const a2 = track(limit.acquire(undefined, { key: 'a.example' }));
    await flush();
    assert.equal(b.settled(), true);
    assert.equal(a2.settled(), false);
  });

  test('idle keys are evicted least recently used first, busy ones are kept', async () => {
    const limit = limiter({ concurrency: 1, key: { maxKeys: 2 } });
    for (const key of ['a', 'b', 'c', 'd']) (await limit.acquire(undefined, { key })).release();
    assert.equal(limit.stats().keys, 2);
    const held = [];
    for (const key of ['e', 'f', 'g']) held.push(await limit.acquire(undefined, { key }));
    assert.equal(limit.stats().keys, 3, 'keys holding permits are never evicted');
    for (const permit of held) permit.release();
  });

  test('higher priority goes first', async () => {
    const limit = limiter({ concurrency: 1 });
    const hold = await limit.acquire();
    const order: string[] = [];
    void limit.acquire(undefined, { priority: 0 }).then((p) => {
      order.push('low');
      p.release();
    });
    void limit.acquire(undefined, { priority: 5 }).then((p) => {
      order.push('high');
      p.release();
    });
    hold.release();
    await limit.onIdle();
    assert.deepEqual(order, ['high', 'low']);
  });

  test('waiting ages a priority so low-priority work does not starve', async (t) => {
    const timers = useMockClock(t);
    const limit = limiter({ concurrency: 1, priority: { aging: 100 } });
    const hold = await limit.acquire();
    const order: string[] = [];
    void limit.acquire(undefined, { priority: 0 }).then((p) => {
      order.push('old low');
      p.release();
    });
    timers.tick(1_000); // ten levels of aging: it now outranks a fresh priority 5
    void limit.acquire(undefined, { priority: 5 }).then((p) => {
      order.push('new high');
      p.release();
    });
    hold.release();
    await limit.onIdle();
    assert.deepEqual(order, ['old low', 'new high']);
  });

  test('an aborted waiter leaves the queue at once and never takes capacity', async () => {
    const limit = limiter({ concurrency: 1 });
    const hold = await limit.acquire();
    const controller = new AbortController();
    const reason = new Error('gave up');
    let abortedGranted = false;
    const aborted = limit.acquire(controller.signal).then(() => {
      abortedGranted = true;
    });
    const next = limit.acquire();
    controller.abort(reason);
    await assert.rejects(aborted, (error) => error === reason);
    assert.equal(limit.stats().waiting, 1);
    hold.release();
    (await next).release();
    assert.equal(abortedGranted, false);
    assert.equal(limit.stats().active, 0);
  });

  test('an aborted heavy waiter at the head lets lighter ones through', async () => {
    const limit = limiter({ concurrency: 3 });
    await limit.acquire(undefined, { weight: 2 });
    const controller = new AbortController();
    const heavy = limit.acquire(controller.signal, { weight: 2 });
    heavy.catch(() => {});
    const light = track(limit.acquire());
    await flush();
    assert.equal(light.settled(), false, 'strict order: the light one waits behind the heavy head');
    controller.abort();
    await light.promise;
  });

  test('acquire with an aborted signal rejects with its reason and queues nothing', async () => {
    const limit = limiter({ concurrency: 1 });
    const reason = new Error('already');
    await assert.rejects(limit.acquire(AbortSignal.abort(reason)), (error) => error === reason);
    assert.equal(limit.stats().waiting, 0);
  });

  test('pause stops granting, resume grants again, onIdle waits for the end', async () => {
    const limit = limiter({ concurrency: 2 });
    limit.pause();
    const waiting = track(limit.acquire());
    await flush();
    assert.equal(waiting.settled(), false);
    assert.equal(limit.stats().paused, true);
    limit.resume();
    const permit = await waiting.promise;
    const idle = track(limit.onIdle());
    await flush();
    assert.equal(idle.settled(), false);
    permit.release();
    await idle.promise;
  });

  test('run() inside run() of the same limiter does not deadlock', async () => {
    const limit = limiter({ concurrency: 1 });
    const result = await limit.run(() => limit.run(async () => 'inner'));
    assert.equal(result, 'inner');
    assert.equal(limit.stats().active, 0);
  });

  test('a re-entrant call still takes rate tokens', async (t) => {
    const timers = useMockClock(t);
    const limit = limiter({ concurrency: 1, rate: { limit: 1, per: 100 } });
    await limit.run(() => limit.run(async () => {}));
    const next = track(limit.acquire());
    await flush();
    assert.equal(next.settled(), false, 'the bucket is in debt after the nested call');
    timers.tick(200);
    await next.promise;
  });

  test('weight takes several slots; a weight above the limits is rejected', async () => {
    const limit = limiter({ concurrency: 3 });
    await limit.acquire(undefined, { weight: 2 });
    const second = track(limit.acquire(undefined, { weight: 2 }));
    await flush();
    assert.equal(second.settled(), false);
    await assert.rejects(limit.acquire(undefined, { weight: 4 }), {
      code: 'ERR_TANDEM_OUT_OF_RANGE',
    });
  });

  test('options are validated at the boundary', () => {
    assert.throws(() => limiter({ concurrency: 0 }), { code: 'ERR_TANDEM_OUT_OF_RANGE' });
    assert.throws(() => limiter({ rate: { limit: 0, per: 1_000 } }), {
      code: 'ERR_TANDEM_OUT_OF_RANGE',
    });
    assert.throws(() => limiter({ concurrency: 'x' as never }), {
      code: 'ERR_TANDEM_INVALID_ARGUMENT',
    });
  });

  test('a waiting run() is cancelled with its scope', async () => {
    const limit = limiter({ concurrency: 1 });
    const hold = await limit.acquire();
    const reason = new Error('scope cancelled');
    let started = false;
    let waiting: Promise<unknown> | undefined;
    await scope(async (s) => {
      waiting = limit.run(() => {
        started = true;
      });
      waiting.catch(() => {});
      s.cancel(reason);
    });
    await assert.rejects(waiting!, (error) => error === reason);
    hold.release();
    await flush();
    assert.equal(started, false);
    assert.equal(limit.stats().active, 0);
  });

  test('run() releases its permit when fn throws', async () => {
    const limit = limiter({ concurrency: 1 });
    const boom = new Error('boom');
    await assert.rejects(
      limit.run(() => {
        throw boom;
      }),
      (error) => error === boom,
    );
    const gate = deferred<void>();
    const after = limit.run(() => gate.promise);
    gate.resolve();
    await after;
  });
});
