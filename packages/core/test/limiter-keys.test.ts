// Keys under one limiter: the `total` cap over all keys and its fairness, per-key pauses
// (pauseKey, Retry-After from a failure) that leave other keys alone, and what LRU eviction
// keeps. Time runs on the fake clock.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deferred, MAX_TIMER_MS } from '@tandem/workers/internal';
import { useFakeClock } from '../../workers/test/fake-clock.ts';
import { type Limiter, limiter, type Permit } from '../src/limiter.ts';
import { flush, track } from './support/helpers.ts';

const get = (l: Limiter, key: string, priority = 0) => l.acquire(undefined, { key, priority });

/** Records the order in which permits are granted, releasing none. */
function recorder() {
  const order: string[] = [];
  const permits: Permit[] = [];
  const ask = (l: Limiter, key: string, label = key, priority = 0) =>
    void get(l, key, priority).then((p) => {
      order.push(label);
      permits.push(p);
    });
  return { order, permits, ask };
}

describe('limiter: total over keys', () => {
  test('total caps permits over all keys; a per-key cap sits under it', async () => {
    const l = limiter({ concurrency: 2, total: 3 });
    const held = [await get(l, 'a'), await get(l, 'a'), await get(l, 'b')];
    const a3 = track(get(l, 'a'));
    const c = track(get(l, 'c'));
    await flush();
    assert.equal(a3.settled(), false, 'a is at its own cap');
    assert.equal(c.settled(), false, 'the total is reached');
    assert.deepEqual(l.stats(), { active: 3, waiting: 2, keys: 3, paused: false });
    held[2]!.release();
    await c.promise;
    assert.equal(a3.settled(), false, 'a slot of the total went to c: a is still at its cap');
  });

  test('a slot of the total goes to the oldest waiter among the keys that can go', async () => {
    const l = limiter({ total: 1 });
    const hold = await get(l, 'x');
    const { order, permits, ask } = recorder();
    ask(l, 'a', 'a1');
    ask(l, 'b', 'b1');
    ask(l, 'a', 'a2');
    ask(l, 'c', 'c1');
    await flush();
    hold.release();
    for (let i = 0; i < 4; i++) {
      await flush();
      permits.shift()!.release();
    }
    await l.onIdle();
    assert.deepEqual(order, ['a1', 'b1', 'a2', 'c1']);
  });

  test('across keys, priority (with aging) decides who takes a freed slot', async (t) => {
    const clock = useFakeClock(t);
    const l = limiter({ total: 1, priority: { aging: 100 } });
    const hold = await get(l, 'x');
    const { order, permits, ask } = recorder();
    ask(l, 'a', 'old low', 0);
    clock.advance(1_000); // ten levels of aging
    ask(l, 'b', 'new 5', 5);
    ask(l, 'c', 'new 20', 20);
    await flush();
    hold.release();
    for (let i = 0; i < 3; i++) {
      await flush();
      permits.shift()!.release();
    }
    assert.deepEqual(order, ['new 20', 'old low', 'new 5']);
  });

  test('a key blocked by its own cap does not hold back other keys', async () => {
    const l = limiter({ concurrency: 1, total: 10 });
    const a = await get(l, 'a');
    const a2 = track(get(l, 'a', 100));
    const b = track(get(l, 'b'));
    await flush();
    assert.equal(a2.settled(), false);
    assert.equal(b.settled(), true, 'b is not behind a’s high-priority waiter');
    a.release();
    await a2.promise;
  });

  test('an aborted waiter at the head of the total leaves; the next key goes', async () => {
    const l = limiter({ total: 2 });
    await get(l, 'x', 0);
    const controller = new AbortController();
    const heavy = l.acquire(controller.signal, { key: 'a', weight: 2 });
    heavy.catch(() => {});
    const light = track(get(l, 'b'));
    await flush();
    assert.equal(light.settled(), false, 'strict order: the heavy head of the total goes first');
    controller.abort();
    await light.promise;
    await assert.rejects(heavy);
  });

  test('a global pause holds every key; resume grants in order', async () => {
    const l = limiter({ total: 1 });
    l.pause();
    const { order, permits, ask } = recorder();
    ask(l, 'b', 'b1');
    ask(l, 'a', 'a1');
    await flush();
    assert.deepEqual(order, []);
    l.resume();
    await flush();
    permits.shift()!.release();
    await flush();
    assert.deepEqual(order, ['b1', 'a1']);
    permits.shift()!.release();
    await l.onIdle();
  });

  test('a call nested in run() does not wait for the total its caller holds', async () => {
    const l = limiter({ concurrency: 1, total: 1 });
    const go = deferred<void>();
    let inside: unknown;
    const outer = l.run(
      async () => {
        await go.promise;
        return l.run(
          async () => {
            inside = l.stats();
            return 'redirected';
          },
          { key: 'b' },
        );
      },
      { key: 'a' },
    );
    const queued = track(get(l, 'b')); // an ordinary waiter of b, first in line for the total
    await flush();
    go.resolve();
    assert.equal(await outer, 'redirected');
    assert.deepEqual(inside, { active: 2, waiting: 1, keys: 2, paused: false });
    (await queued.promise).release();
    await l.onIdle();
  });

  test('a nested call still obeys its key’s own cap and pause', async (t) => {
    const clock = useFakeClock(t);
    const l = limiter({ concurrency: 1, total: 2 });
    const b = await get(l, 'b');
    l.pauseKey('c', 100);
    const order: string[] = [];
    await l.run(
      async () => {
        const nestedB = l.run(async () => order.push('b'), { key: 'b' });
        const nestedC = l.run(async () => order.push('c'), { key: 'c' });
        await flush();
        assert.deepEqual(order, []);
        assert.equal(l.keyStats('b').waiting, 1);
        b.release();
        await nestedB;
        clock.advance(100);
        await nestedC;
      },
      { key: 'a' },
    );
    assert.deepEqual(order, ['b', 'c']);
    await l.onIdle();
  });

  test('weight above total is refused', async () => {
    const l = limiter({ concurrency: 5, total: 2 });
    await assert.rejects(l.acquire(undefined, { weight: 3 }), { code: 'ERR_TANDEM_OUT_OF_RANGE' });
  });
});

describe('limiter: per-key pauses', () => {
  test('pauseKey holds that key only, for its time', async (t) => {
    const clock = useFakeClock(t);
    const l = limiter({ concurrency: 1 });
    l.pauseKey('a', 1_000);
    const a = track(get(l, 'a'));
    const b = track(get(l, 'b'));
    await flush();
    assert.equal(b.settled(), true, 'other keys go on');
    assert.equal(a.settled(), false);
    assert.deepEqual(l.keyStats('a'), { active: 0, waiting: 1, limit: 1, pausedFor: 1_000 });
    clock.advance(999);
    await flush();
    assert.equal(a.settled(), false);
    assert.equal(l.keyStats('a').pausedFor, 1);
    clock.advance(1_000);
    await flush();
    assert.equal(a.settled(), true);
    assert.equal(l.keyStats('a').pausedFor, 0);
  });

  test('held permits stay valid; a pause only extends; resumeKey ends it', async (t) => {
    const clock = useFakeClock(t);
    const l = limiter();
    const held = await get(l, 'a');
    l.pauseKey('a', 500);
    l.pauseKey('a', 100);
    assert.equal(l.keyStats('a').pausedFor, 500, 'a shorter pause changes nothing');
    const next = track(get(l, 'a'));
    clock.advance(200);
    await flush();
    assert.equal(next.settled(), false);
    l.resumeKey('a');
    await next.promise;
    held.release();
    l.resumeKey('never seen'); // nothing to resume: no state is created
    assert.equal(l.stats().keys, 1);
  });

  test('an endless pause arms no timer and lasts until resumeKey', async (t) => {
    const clock = useFakeClock(t);
    const l = limiter();
    l.pauseKey('a', Number.POSITIVE_INFINITY);
    const a = track(get(l, 'a'));
    await flush();
    assert.equal(clock.pending(), 0);
    assert.equal(l.keyStats('a').pausedFor, Number.POSITIVE_INFINITY);
    clock.advance(10 * MAX_TIMER_MS);
    await flush();
    assert.equal(a.settled(), false);
    l.resumeKey('a');
    await a.promise;
  });

  test('a pause past 2³¹ ms is kept in full (chained timers)', async (t) => {
    const clock = useFakeClock(t);
    const l = limiter();
    const long = 2 ** 32;
    l.pauseKey('a', long);
    const a = track(get(l, 'a'));
    clock.advance(long - 1);
    await flush();
    assert.equal(a.settled(), false, 'not early');
    clock.advance(long);
    await flush();
    assert.equal(a.settled(), true);
    assert.ok(
      clock.delays.every((ms) => ms <= MAX_TIMER_MS),
      `${clock.delays}`,
    );
  });

  test('a failure with retryAfter pauses its key (with or without adaptive); others go on', async (t) => {
    const clock = useFakeClock(t);
    for (const adaptive of [false, true]) {
      const l = limiter({ concurrency: 4, adaptive });
      const busy = Object.assign(new Error('busy'), { status: 503, retryAfter: 2_000 });
      await assert.rejects(
        l.run(() => Promise.reject(busy), { key: 'a' }),
        (e) => e === busy,
      );
      const start = clock.now();
      assert.equal(l.keyStats('a').pausedFor, 2_000);
      const a = track(l.run(async () => 'a', { key: 'a' }));
      assert.equal(await l.run(async () => 'b', { key: 'b' }), 'b');
      assert.equal(a.settled(), false);
      clock.advance(start + 2_000);
      assert.equal(await a.promise, 'a');
    }
  });

  test('a pause in force is not shortened by a later, shorter Retry-After', async (t) => {
    useFakeClock(t);
    const l = limiter();
    (await get(l, 'a')).fail({ retryAfter: 5_000 });
    (await l.acquire(undefined, { key: 'b' })).release();
    const p = get(l, 'b');
    (await p).fail({ retryAfter: 10 });
    assert.equal(l.keyStats('a').pausedFor, 5_000);
    assert.equal(l.keyStats('b').pausedFor, 10);
  });

  test('retryAfter: the default takes only a finite positive number; a callback may change it', async (t) => {
    useFakeClock(t);
    const l = limiter();
    const ignored = [
      { retryAfter: Number.POSITIVE_INFINITY },
      { retryAfter: -5 },
      { retryAfter: Number.NaN },
      { retryAfter: '100' },
      undefined,
    ];
    for (const error of ignored) (await get(l, 'a')).fail(error);
    assert.equal(l.keyStats('a').pausedFor, 0);
    (await get(l, 'a')).fail(new Error('wrapped', { cause: { retryAfter: 30 } }));
    assert.equal(l.keyStats('a').pausedFor, 30, 'read through a cause');
    const off = limiter({ retryAfter: () => undefined });
    (await get(off, 'a')).fail({ retryAfter: 30 });
    assert.equal(off.keyStats('a').pausedFor, 0);
    const mine = limiter({ retryAfter: (e) => (e as { after: number }).after * 1_000 });
    const [first, second] = [await get(mine, 'a'), await get(mine, 'a')];
    first.fail({ after: 2 });
    assert.equal(mine.keyStats('a').pausedFor, 2_000);
    second.release();
    assert.deepEqual(mine.keyStats('a'), {
      active: 0,
      waiting: 0,
      limit: Number.POSITIVE_INFINITY,
      pausedFor: 2_000,
    });
  });

  test('a retryAfter that throws or answers nonsense pauses nothing and warns once', async (t) => {
    useFakeClock(t);
    const seen: Error[] = [];
    const listener = (w: Error) => seen.push(w);
    process.on('warning', listener);
    t.after(() => process.off('warning', listener));
    const throwing = limiter({
      retryAfter: () => {
        throw new Error('bug');
      },
    });
    const nonsense = limiter({ retryAfter: (() => 'soon') as never });
    for (const l of [throwing, nonsense]) {
      for (let i = 0; i < 3; i++) {
        const error = new Error('mine');
        await assert.rejects(
          l.run(() => Promise.reject(error), { key: 'a' }),
          (e) => e === error,
        );
      }
      assert.equal(l.keyStats('a').pausedFor, 0);
      assert.equal(l.stats().active, 0);
    }
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      seen.map((w) => (w as { code?: string }).code),
      ['ERR_TANDEM_CALLBACK_FAILED', 'ERR_TANDEM_INVALID_ARGUMENT'],
    );
  });

  test('an aborted waiter of a paused key leaves at once and leaves no timer', async (t) => {
    const clock = useFakeClock(t);
    const l = limiter();
    l.pauseKey('a', 5_000);
    const controller = new AbortController();
    const waiting = l.acquire(controller.signal, { key: 'a' });
    await flush();
    assert.equal(clock.pending(), 1, 'a timer for the end of the pause');
    controller.abort(new Error('gave up'));
    await assert.rejects(waiting, { message: 'gave up' });
    assert.equal(clock.pending(), 0);
    assert.deepEqual(l.keyStats('a'), { active: 0, waiting: 0, limit: Infinity, pausedFor: 5_000 });
    await l.onIdle();
  });

  test('an aborted nested waiter leaves its key’s queue', async () => {
    const l = limiter({ concurrency: 1, total: 2 });
    const b = await get(l, 'b');
    await l.run(
      async () => {
        const controller = new AbortController();
        const nested = l.run(async () => 'never', { key: 'b', signal: controller.signal });
        await flush();
        assert.equal(l.keyStats('b').waiting, 1);
        controller.abort(new Error('stop'));
        await assert.rejects(nested, { message: 'stop' });
        assert.equal(l.keyStats('b').waiting, 0);
      },
      { key: 'a' },
    );
    b.release();
    await l.onIdle();
  });

  test('pauseKey, resumeKey and keyStats check their arguments', () => {
    const l = limiter();
    const INVALID = { code: 'ERR_TANDEM_INVALID_ARGUMENT' };
    assert.throws(() => l.pauseKey(5 as never, 10), INVALID);
    assert.throws(() => l.pauseKey('a', Number.NaN), INVALID);
    assert.throws(() => l.pauseKey('a', '10' as never), INVALID);
    assert.throws(() => l.pauseKey('a', -1), { code: 'ERR_TANDEM_OUT_OF_RANGE' });
    assert.throws(() => l.resumeKey(null as never), INVALID);
    assert.throws(() => l.keyStats(Symbol('k') as never), INVALID);
    assert.equal(l.stats().keys, 0);
  });
});

describe('limiter: what LRU eviction keeps', () => {
  test('a paused key is kept while its pause lasts', async (t) => {
    const clock = useFakeClock(t);
    const l = limiter({ key: { maxKeys: 1 } });
    l.pauseKey('a', 1_000);
    for (const key of ['b', 'c']) (await get(l, key)).release();
    assert.equal(l.keyStats('a').pausedFor, 1_000);
    clock.advance(1_000);
    (await get(l, 'd')).release();
    assert.equal(l.stats().keys, 1, 'once the pause is over, a is evicted like any idle key');
  });

  test('a key whose adaptive limit moved goes after the keys that learned nothing', async () => {
    const l = limiter({ concurrency: 8, adaptive: true, key: { maxKeys: 2 } });
    (await get(l, 'slow')).fail({ status: 503 });
    for (const key of ['b', 'c', 'd']) (await get(l, key)).release();
    assert.equal(l.keyStats('slow').limit, 4, 'kept over the more recent plain keys');
    assert.equal(l.stats().keys, 2);
    (await get(l, 'e')).fail({ status: 503 });
    (await get(l, 'f')).fail({ status: 503 });
    assert.equal(l.stats().keys, 2);
    assert.equal(l.keyStats('slow').limit, 8, 'with only learned keys left, the oldest goes');
  });
});
