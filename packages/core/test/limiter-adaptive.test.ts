// The adaptive (AIMD) per-key limit: decrease on overload, once per window, down to `min`;
// increase on busy successes, up to `concurrency`; outcomes from run() and from permits; the
// default overload classification and callbacks that throw or answer nonsense.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CancelledError } from '../src/errors.ts';
import { type Limiter, limiter, type Permit } from '../src/limiter.ts';
import { flush, track } from './support/helpers.ts';

const overload = () => Object.assign(new Error('busy'), { status: 503 });

/** Takes `n` permits of `key` at once (they must all be grantable). */
async function take(l: Limiter, n: number, key = 'h'): Promise<Permit[]> {
  return Promise.all(Array.from({ length: n }, () => l.acquire(undefined, { key })));
}

/**
 * `n` successes reported while `width` permits are held (the next one is asked for before
 * each release); the held ones are then given back without an outcome.
 */
async function steady(l: Limiter, n: number, width: number, key = 'h'): Promise<void> {
  const held = await take(l, width, key);
  for (let i = 0; i < n; i++) {
    const next = l.acquire(undefined, { key });
    held.shift()!.release();
    held.push(await next);
  }
  for (const p of held) p[Symbol.dispose]();
}

/** Captures process warnings emitted during the test. */
function warnings(t: { after: (fn: () => void) => void }): Error[] {
  const seen: Error[] = [];
  const listener = (w: Error) => seen.push(w);
  process.on('warning', listener);
  t.after(() => process.off('warning', listener));
  return seen;
}

describe('limiter: adaptive concurrency (AIMD)', () => {
  test('starts at the cap; an overload halves the limit of its key only', async () => {
    const l = limiter({ concurrency: 8, adaptive: true });
    assert.equal(l.keyStats('h').limit, 8, 'a key without state reads the initial limit');
    const [p] = await take(l, 1);
    p!.fail(overload());
    assert.equal(l.keyStats('h').limit, 4);
    assert.equal(l.keyStats('other').limit, 8);
    assert.deepEqual(l.keyStats('h'), { active: 0, waiting: 0, limit: 4, pausedFor: 0 });
  });

  test('a burst of failures of permits granted together decreases once (one window)', async () => {
    const l = limiter({ concurrency: 16, adaptive: true });
    const first = await take(l, 16);
    for (const p of first) p.fail(overload());
    assert.equal(l.keyStats('h').limit, 8, 'not 16 → 1: the 15 others started before the decrease');
    const [late] = await take(l, 1);
    late!.fail(overload());
    assert.equal(l.keyStats('h').limit, 4, 'a permit granted after the decrease counts');
  });

  test('the limit caps grants; a release lets the next one in', async () => {
    const l = limiter({ concurrency: 4, adaptive: { initial: 2 } });
    const held = await take(l, 2);
    const third = track(l.acquire(undefined, { key: 'h' }));
    await flush();
    assert.equal(third.settled(), false);
    assert.deepEqual(l.keyStats('h'), { active: 2, waiting: 1, limit: 2, pausedFor: 0 });
    held[0]!.release();
    (await third.promise).release();
    held[1]!.release();
  });

  test('successes grow the limit by one per limit of them, up to the cap', async () => {
    const l = limiter({ concurrency: 6, adaptive: { initial: 3 } });
    await steady(l, 2, 3);
    assert.equal(l.keyStats('h').limit, 3);
    await steady(l, 1, 3);
    assert.equal(l.keyStats('h').limit, 4, 'three successes at limit 3: +1');
    await steady(l, 3, 4);
    assert.equal(l.keyStats('h').limit, 4, 'three of the four needed at limit 4');
    await steady(l, 1, 4);
    assert.equal(l.keyStats('h').limit, 5);
    await steady(l, 50, 5);
    assert.equal(l.keyStats('h').limit, 6, 'never past concurrency');
    assert.equal(l.stats().active, 0);
  });

  test('`increase` and `decrease` set the steps', async () => {
    const l = limiter({ concurrency: 20, adaptive: { initial: 10, increase: 3, decrease: 0.75 } });
    await steady(l, 10, 10);
    assert.equal(l.keyStats('h').limit, 13);
    (await l.acquire(undefined, { key: 'h' })).fail(overload());
    assert.equal(l.keyStats('h').limit, 9, 'floor(13 × 0.75)');
  });

  test('successes of a key using less than half its limit do not grow it', async () => {
    const l = limiter({ concurrency: 8, adaptive: { initial: 4 } });
    for (let i = 0; i < 20; i++) (await l.acquire(undefined, { key: 'h' })).release();
    assert.equal(l.keyStats('h').limit, 4, 'one at a time proves nothing about four');
    for (let i = 0; i < 4; i++) {
      const [a, b] = await take(l, 2);
      a!.release(); // two held: half the limit, it counts
      b!.release(); // one held: it does not
    }
    assert.equal(l.keyStats('h').limit, 5);
  });

  test('successes of permits granted before a decrease do not count either', async () => {
    const l = limiter({ concurrency: 8, adaptive: true });
    const old = await take(l, 8);
    old[0]!.fail(overload());
    for (const p of old.slice(1)) p.release();
    assert.equal(l.keyStats('h').limit, 4);
  });

  test('leaving a using block reports nothing', async () => {
    const l = limiter({ concurrency: 8, adaptive: { initial: 2 } });
    for (let i = 0; i < 10; i++) {
      using _a = await l.acquire(undefined, { key: 'h' });
      using _b = await l.acquire(undefined, { key: 'h' });
    }
    assert.deepEqual(l.keyStats('h'), { active: 0, waiting: 0, limit: 2, pausedFor: 0 });
  });

  test('never below min', async () => {
    const l = limiter({ concurrency: 8, adaptive: { min: 3 } });
    for (let i = 0; i < 5; i++) (await l.acquire(undefined, { key: 'h' })).fail(overload());
    assert.equal(l.keyStats('h').limit, 3);
  });

  test('a permit heavier than the current limit goes alone instead of never', async () => {
    const l = limiter({ concurrency: 8, adaptive: true });
    for (let i = 0; i < 3; i++) (await l.acquire(undefined, { key: 'h' })).fail(overload());
    assert.equal(l.keyStats('h').limit, 1);
    const heavy = await l.acquire(undefined, { key: 'h', weight: 4 });
    const next = track(l.acquire(undefined, { key: 'h' }));
    await flush();
    assert.equal(next.settled(), false, 'nothing else while it holds more than the limit');
    heavy.release();
    (await next.promise).release();
  });

  test('run() reports: a rejection is classified, a success counts, the caller gets fn’s own outcome', async () => {
    const l = limiter({ concurrency: 8, adaptive: true });
    const error = overload();
    await assert.rejects(
      l.run(
        async () => {
          throw error;
        },
        { key: 'h' },
      ),
      (e) => e === error,
    );
    assert.equal(l.keyStats('h').limit, 4);
    assert.equal(l.stats().active, 0);
    const syncError = overload();
    await assert.rejects(
      l.run(
        () => {
          throw syncError;
        },
        { key: 'h' },
      ),
      (e) => e === syncError,
    );
    assert.equal(l.keyStats('h').limit, 2, 'a synchronous throw is an outcome too');
    await Promise.all([1, 2].map(() => l.run(async () => 'ok', { key: 'h' })));
    assert.equal(l.keyStats('h').limit, 3);
  });

  test('cancellations and ordinary failures are not overloads', async () => {
    const l = limiter({ concurrency: 8, adaptive: true });
    const controller = new AbortController();
    const cancelled = l.run(
      (signal) =>
        new Promise((_, reject) => signal!.addEventListener('abort', () => reject(signal!.reason))),
      { key: 'h', signal: controller.signal },
    );
    await flush();
    controller.abort(new CancelledError());
    await assert.rejects(cancelled, { code: 'ERR_TANDEM_CANCELLED' });
    const abortError = new DOMException('stop', 'AbortError');
    for (const error of [abortError, new Error('bug'), { status: 500 }, { status: 404 }, null, 7]) {
      (await l.acquire(undefined, { key: 'h' })).fail(error);
    }
    assert.equal(l.keyStats('h').limit, 8);
  });

  test('default overloads: 429/503 status or statusCode, timeouts by code or name, through causes', async () => {
    const overloads: unknown[] = [
      { status: 429 },
      { statusCode: 503 },
      { code: 'ERR_TANDEM_TIMEOUT' },
      { code: 'ERR_TANDEM_TASK_TIMEOUT' },
      { code: 'ETIMEDOUT' },
      new TypeError('fetch failed', { cause: { code: 'UND_ERR_CONNECT_TIMEOUT' } }),
      new TypeError('fetch failed', { cause: { code: 'UND_ERR_HEADERS_TIMEOUT' } }),
      new TypeError('fetch failed', { cause: { code: 'UND_ERR_BODY_TIMEOUT' } }),
      new DOMException('slow', 'TimeoutError'),
    ];
    for (const error of overloads) {
      const l = limiter({ concurrency: 2, adaptive: true });
      (await l.acquire()).fail(error);
      assert.equal(l.keyStats('').limit, 1, `${JSON.stringify(error)} is an overload`);
    }
  });

  test('hostile errors never break the default classification', async () => {
    const l = limiter({ concurrency: 2, adaptive: true });
    const trap = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
      },
    );
    const cycle: { cause?: unknown } = {};
    cycle.cause = cycle;
    const deep = { cause: { cause: { cause: { cause: { cause: { status: 503 } } } } } };
    for (const error of [trap, cycle, deep, Object.create(null), () => {}]) {
      (await l.acquire()).fail(error);
    }
    assert.equal(l.keyStats('').limit, 2);
    assert.deepEqual(l.stats(), { active: 0, waiting: 0, keys: 1, paused: false });
  });

  test('isOverload replaces the default', async () => {
    const l = limiter({
      concurrency: 4,
      adaptive: true,
      isOverload: (e) => (e as { status?: number }).status === 500,
    });
    (await l.acquire()).fail(overload());
    assert.equal(l.keyStats('').limit, 4);
    (await l.acquire()).fail({ status: 500 });
    assert.equal(l.keyStats('').limit, 2);
  });

  test('an isOverload that throws or answers a non-boolean: not an overload, one warning, fn’s error kept', async (t) => {
    const seen = warnings(t);
    const boom = new Error('classifier bug');
    const l = limiter({
      concurrency: 4,
      adaptive: true,
      isOverload: () => {
        throw boom;
      },
    });
    const mine = overload();
    for (let i = 0; i < 3; i++) {
      await assert.rejects(
        l.run(() => Promise.reject(mine)),
        (e) => e === mine,
      );
    }
    assert.deepEqual(l.stats(), { active: 0, waiting: 0, keys: 1, paused: false });
    assert.equal(l.keyStats('').limit, 4);
    const odd = limiter({
      concurrency: 4,
      adaptive: true,
      isOverload: (async () => true) as never,
    });
    (await odd.acquire()).fail(overload());
    assert.equal(odd.keyStats('').limit, 4, 'a promise is not `true`');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      seen.map((w) => (w as { code?: string }).code),
      ['ERR_TANDEM_CALLBACK_FAILED', 'ERR_TANDEM_INVALID_ARGUMENT'],
      'one warning per limiter and callback',
    );
    assert.equal((seen[0] as Error).cause, boom);
  });

  test('a callback may call back into the limiter while an outcome is read', async () => {
    let l: Limiter | undefined;
    let inner: Promise<Permit> | undefined;
    l = limiter({
      concurrency: 2,
      adaptive: true,
      isOverload: () => {
        inner = l!.acquire(undefined, { key: 'h' });
        l!.pauseKey('other', 10);
        return true;
      },
    });
    (await l.acquire(undefined, { key: 'h' })).fail(new Error('x'));
    (await inner!).release();
    assert.equal(l.keyStats('h').limit, 1);
    assert.equal(l.stats().active, 0);
  });

  test('without adaptive, outcomes change no limit', async () => {
    const l = limiter({ concurrency: 3 });
    (await l.acquire()).fail(overload());
    assert.equal(l.keyStats('').limit, 3);
    assert.equal(limiter().keyStats('x').limit, Number.POSITIVE_INFINITY);
  });

  test('hostile adaptive options are refused with a code', () => {
    const INVALID = { code: 'ERR_TANDEM_INVALID_ARGUMENT' };
    const RANGE = { code: 'ERR_TANDEM_OUT_OF_RANGE' };
    const throwing = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('trap');
        },
      },
    );
    const cases: Array<[unknown, object]> = [
      [{ adaptive: true }, RANGE],
      [{ adaptive: {}, concurrency: Number.POSITIVE_INFINITY }, RANGE],
      [{ adaptive: 'yes', concurrency: 4 }, INVALID],
      [{ adaptive: 1, concurrency: 4 }, INVALID],
      [{ adaptive: null, concurrency: 4 }, INVALID],
      [{ adaptive: throwing, concurrency: 4 }, INVALID],
      [{ adaptive: { min: 0 }, concurrency: 4 }, RANGE],
      [{ adaptive: { min: Number.NaN }, concurrency: 4 }, INVALID],
      [{ adaptive: { min: 1.5 }, concurrency: 4 }, INVALID],
      [{ adaptive: { min: 5 }, concurrency: 4 }, RANGE],
      [{ adaptive: { min: Number.POSITIVE_INFINITY }, concurrency: 4 }, RANGE],
      [{ adaptive: { initial: 5 }, concurrency: 4 }, RANGE],
      [{ adaptive: { min: 3, initial: 2 }, concurrency: 4 }, RANGE],
      [{ adaptive: { initial: '2' }, concurrency: 4 }, INVALID],
      [{ adaptive: { decrease: 1 }, concurrency: 4 }, RANGE],
      [{ adaptive: { decrease: 0 }, concurrency: 4 }, RANGE],
      [{ adaptive: { decrease: -0.5 }, concurrency: 4 }, RANGE],
      [{ adaptive: { decrease: Number.NaN }, concurrency: 4 }, INVALID],
      [{ adaptive: { decrease: Number.POSITIVE_INFINITY }, concurrency: 4 }, RANGE],
      [{ adaptive: { increase: 0 }, concurrency: 4 }, RANGE],
      [{ adaptive: { increase: 0.5 }, concurrency: 4 }, INVALID],
      [{ adaptive: { increase: Number.POSITIVE_INFINITY }, concurrency: 4 }, RANGE],
      [{ isOverload: 5 }, INVALID],
      [{ isOverload: null }, INVALID],
      [{ retryAfter: 'soon' }, INVALID],
      [{ total: 0 }, RANGE],
      [{ total: -1 }, RANGE],
      [{ total: 1.5 }, INVALID],
      [{ total: Number.NaN }, INVALID],
      [{ total: '2' }, INVALID],
    ];
    for (const [i, [options, expected]] of cases.entries()) {
      assert.throws(() => limiter(options as never), expected, `case ${i}`);
    }
  });

  test('options are read once: a getter cannot show the check one value and the limiter another', async () => {
    let reads = 0;
    const adaptive = {
      get min() {
        reads++;
        return reads === 1 ? 2 : 0;
      },
    };
    const l = limiter({ concurrency: 4, adaptive });
    for (let i = 0; i < 4; i++) (await l.acquire()).fail(overload());
    assert.equal(l.keyStats('').limit, 2);
    assert.equal(reads, 1);
  });

  test('the adaptive limit bounds weights no more than concurrency does', async () => {
    const l = limiter({ concurrency: 4, total: 3, adaptive: true });
    await assert.rejects(l.acquire(undefined, { weight: 4 }), { code: 'ERR_TANDEM_OUT_OF_RANGE' });
    (await l.acquire(undefined, { weight: 3 })).release();
  });
});
