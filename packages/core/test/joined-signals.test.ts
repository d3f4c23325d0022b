// An explicit `{ signal }` joins the running scope's signal; it never replaces it. A request's
// signal passed inside a scope must not let a wait escape the scope's cancel or deadline, and
// the explicit signal still works on its own. Joins leave no listener on a long-lived signal.
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, test } from 'node:test';
import { channel } from '../src/channel.ts';
import { all, any, map, race } from '../src/combinators.ts';
import { limiter } from '../src/limiter.ts';
import { retry } from '../src/retry.ts';
import { openScope, scope } from '../src/scope.ts';
import { sleep, timeout } from '../src/time.ts';
import { flush, untilAborted, useMockClock } from './support/helpers.ts';

/** Runs `wait(request.signal)` in a scope that is cancelled while it waits; returns its error. */
async function cancelScopeDuring(wait: (signal: AbortSignal) => Promise<unknown>) {
  const request = new AbortController(); // long-lived, never aborted here
  const reason = new Error('scope cancelled');
  let caught: unknown;
  await scope(async (s) => {
    const waiting = wait(request.signal).catch((error: unknown) => {
      caught = error;
    });
    await flush();
    s.cancel(reason);
    await waiting;
  });
  assert.equal(caught, reason, 'the wait ended with the scope');
  assert.equal(getEventListeners(request.signal, 'abort').length, 0, 'no listener left');
}

/** Runs `wait(request.signal)` in a live scope and aborts the request; returns its error. */
async function abortRequestDuring(wait: (signal: AbortSignal) => Promise<unknown>) {
  const request = new AbortController();
  const reason = new Error('request aborted');
  await scope(async (s) => {
    const waiting = wait(request.signal);
    await flush();
    request.abort(reason);
    await assert.rejects(waiting, (error) => error === reason);
    assert.equal(s.signal.aborted, false);
  });
}

describe('an explicit signal joins the scope signal', () => {
  test('sleep', async () => {
    await cancelScopeDuring((signal) => sleep(60_000, { signal }));
    await abortRequestDuring((signal) => sleep(60_000, { signal }));
  });

  test('channel receive and send', async () => {
    const empty = channel<number>();
    await cancelScopeDuring((signal) => empty.receive({ signal }));
    await abortRequestDuring((signal) => empty.receive({ signal }));
    const full = channel<number>({ capacity: 0 });
    await cancelScopeDuring((signal) => full.send(1, { signal }));
    await abortRequestDuring((signal) => full.send(1, { signal }));
    assert.equal(full.size, 0);
  });

  test('limiter acquire and run', async () => {
    const limit = limiter({ concurrency: 1 });
    const holder = await limit.acquire();
    await cancelScopeDuring((signal) => limit.acquire(signal));
    await abortRequestDuring((signal) => limit.acquire(signal));
    await cancelScopeDuring((signal) => limit.run(() => 'ran', { signal }));
    await abortRequestDuring((signal) => limit.run(() => 'ran', { signal }));
    assert.deepEqual(limit.stats(), { active: 1, waiting: 0, keys: 1, paused: false });
    holder.release();
  });

  test('limiter run passes fn the joined signal', async () => {
    const limit = limiter();
    await cancelScopeDuring((signal) => limit.run((joined) => untilAborted(joined!), { signal }));
  });

  test('timeout, retry and the combinators', async () => {
    await cancelScopeDuring((signal) => timeout(60_000, (s) => untilAborted(s.signal), { signal }));
    await cancelScopeDuring((signal) => retry((inner) => untilAborted(inner), { signal }));
    await cancelScopeDuring((signal) => all([(inner) => untilAborted(inner)], { signal }));
    await cancelScopeDuring((signal) => race([(inner) => untilAborted(inner)], { signal }));
    await cancelScopeDuring((signal) => any([(inner) => untilAborted(inner)], { signal }));
    await cancelScopeDuring(async (signal) => {
      for await (const _ of map([1], (_item, inner) => untilAborted(inner), { signal })) {
        /* never yields */
      }
    });
  });

  test("a scope's deadline still applies to a sleep given another signal", async (t) => {
    const timers = useMockClock(t);
    const request = new AbortController();
    const run = timeout(100, () => sleep(60_000, { signal: request.signal }));
    await flush();
    timers.tick(100);
    await assert.rejects(run, { code: 'ERR_TANDEM_TIMEOUT' });
    assert.equal(getEventListeners(request.signal, 'abort').length, 0);
  });

  test('many waits on one long-lived signal leave no listener behind', async () => {
    const request = new AbortController();
    const limit = limiter({ concurrency: 1 });
    const ch = channel<number>({ capacity: Number.POSITIVE_INFINITY });
    await scope(async () => {
      for (let i = 0; i < 50; i++) {
        await sleep(0, { signal: request.signal });
        await limit.run(() => ch.send(i, { signal: request.signal }), { signal: request.signal });
        await ch.receive({ signal: request.signal });
      }
    });
    assert.equal(getEventListeners(request.signal, 'abort').length, 0);
  });
});

describe('scope arguments', () => {
  test('scope(body, options) is refused: the options would be ignored', async () => {
    let ran = false;
    const body = () => {
      ran = true;
    };
    await assert.rejects(scope(body as never, { timeout: 10 } as never), {
      code: 'ERR_TANDEM_INVALID_ARGUMENT',
    });
    assert.equal(ran, false);
  });

  test('openScope(body) is refused', () => {
    assert.throws(() => openScope((() => {}) as never), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
  });

  test('options that are not an object are refused', async () => {
    for (const bad of [null, 5, 'x', Number.POSITIVE_INFINITY]) {
      await assert.rejects(
        scope(bad as never, () => {}),
        { code: 'ERR_TANDEM_INVALID_ARGUMENT' },
        String(bad),
      );
    }
  });
});
