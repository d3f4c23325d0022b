// Durations past Node's timer range (2³¹ − 1 ms, about 24.8 days) and Infinity: Node's own
// setTimeout fires those after 1 ms. Every timer in core goes through startTimer, which chains
// long delays in hops Node honours and never schedules Infinity. A fake clock records each delay.
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, type TestContext, test } from 'node:test';
import { MAX_TIMER_MS } from '@tandem/workers/internal';
import { type FakeClock, useFakeClock } from '../../workers/test/fake-clock.ts';
import { startBlockingDetector } from '../src/diagnostics/blocking-detector.ts';
import type { BlockingEvent, LeakEvent } from '../src/diagnostics/channels.ts';
import { limiter } from '../src/limiter.ts';
import { retry } from '../src/retry.ts';
import { scope } from '../src/scope.ts';
import { sleep, timeout } from '../src/time.ts';
import { flush, track, untilAborted } from './support/helpers.ts';

const DAY = 24 * 3600 * 1000;
const THIRTY_DAYS = 30 * DAY;

/** Checks that `promise` is still pending 1 ms in and just before `due`, and settled right at it. */
async function settlesAt(clock: FakeClock, due: number, promise: Promise<unknown>): Promise<void> {
  const tracked = track(promise);
  await flush();
  clock.advance(1);
  await flush();
  assert.equal(tracked.settled(), false, 'not after 1 ms');
  clock.advance(due - 1);
  await flush();
  assert.equal(tracked.settled(), false, 'not 1 ms early');
  clock.advance(due);
  await flush();
  assert.equal(tracked.settled(), true, 'settled on time');
  assert.ok(
    clock.delays.every((ms) => ms <= MAX_TIMER_MS),
    `every delay Node is asked for is in its range: ${clock.delays}`,
  );
}

function listen<E>(t: TestContext, name: string): E[] {
  const events: E[] = [];
  const onEvent = (event: unknown) => events.push(event as E);
  subscribe(name, onEvent);
  t.after(() => unsubscribe(name, onEvent));
  return events;
}

describe('durations past 2³¹ ms', () => {
  test('sleep(30 days) does not fire early and fires on time', async (t) => {
    const clock = useFakeClock(t);
    await settlesAt(clock, THIRTY_DAYS, sleep(THIRTY_DAYS));
  });

  test('sleep(2³¹) does not fire after 1 ms', async (t) => {
    const clock = useFakeClock(t);
    await settlesAt(clock, 2 ** 31, sleep(2 ** 31));
  });

  test('timeout(30 days) does not fire early and fires on time', async (t) => {
    const clock = useFakeClock(t);
    const run = timeout(THIRTY_DAYS, (s) => untilAborted(s.signal));
    run.catch(() => {});
    await settlesAt(clock, THIRTY_DAYS, run);
    await assert.rejects(run, { code: 'ERR_TANDEM_TIMEOUT' });
  });

  test('scope({ timeout: 2³¹ }) expires on time', async (t) => {
    const clock = useFakeClock(t);
    const run = scope({ timeout: 2 ** 31 }, (s) => untilAborted(s.signal));
    run.catch(() => {});
    await settlesAt(clock, 2 ** 31, run);
    await assert.rejects(run, { code: 'ERR_TANDEM_TIMEOUT' });
  });

  test('scope({ deadline }) 30 days away expires on time', async (t) => {
    const clock = useFakeClock(t);
    const run = scope({ deadline: THIRTY_DAYS }, (s) => untilAborted(s.signal));
    run.catch(() => {});
    await settlesAt(clock, THIRTY_DAYS, run);
    await assert.rejects(run, { code: 'ERR_TANDEM_TIMEOUT' });
  });

  test('reschedule to 30 days away does not fire early', async (t) => {
    const clock = useFakeClock(t);
    const run = scope({ timeout: 10 }, async (s) => {
      s.reschedule(THIRTY_DAYS);
      await untilAborted(s.signal);
    });
    run.catch(() => {});
    await settlesAt(clock, THIRTY_DAYS, run);
    await assert.rejects(run, { code: 'ERR_TANDEM_TIMEOUT' });
  });

  test('a limiter waiting 30 days for a token is granted on time', async (t) => {
    const clock = useFakeClock(t);
    const limit = limiter({ rate: { limit: 1, per: THIRTY_DAYS } });
    (await limit.acquire()).release();
    const waiting = limit.acquire();
    await settlesAt(clock, THIRTY_DAYS, waiting);
    (await waiting).release();
  });

  test('a retry delay of 30 days (retryAfter) is waited in full', async (t) => {
    const clock = useFakeClock(t);
    let calls = 0;
    const run = retry(
      () => {
        calls++;
        if (calls === 1) throw new Error('later');
        return 'done';
      },
      { retryAfter: () => THIRTY_DAYS },
    );
    await settlesAt(clock, THIRTY_DAYS, run);
    assert.equal(await run, 'done');
    assert.equal(calls, 2);
  });

  test('an abortGrace of 30 days reports an ignored abort on time, not at once', async (t) => {
    const clock = useFakeClock(t);
    const events = listen<LeakEvent>(t, 'tandem:leak');
    let release: () => void = () => {};
    const stubborn = new Promise<void>((resolve) => {
      release = resolve;
    });
    const run = scope({ name: 'job', abortGrace: THIRTY_DAYS }, async (s) => {
      s.spawn(() => stubborn, { name: 'stubborn' });
      await flush(); // started: a task cancelled before it starts never runs
      s.cancel();
    });
    await flush();
    await flush();
    clock.advance(1);
    assert.equal(events.length, 0, 'not after 1 ms');
    clock.advance(THIRTY_DAYS - 1);
    assert.equal(events.length, 0, 'not early');
    clock.advance(THIRTY_DAYS);
    assert.deepEqual(
      events.map((e) => e.kind),
      ['abort-ignored'],
    );
    assert.ok(
      clock.delays.every((ms) => ms <= MAX_TIMER_MS),
      `${clock.delays}`,
    );
    release();
    await run;
  });

  test('a blocking detector with a 2³¹ ms interval does not tick after 1 ms', async (t) => {
    const clock = useFakeClock(t);
    const events = listen<BlockingEvent>(t, 'tandem:blocking');
    const detector = startBlockingDetector({ interval: 2 ** 31, threshold: 0 });
    t.after(() => detector.stop());
    assert.ok(
      clock.delays.every((ms) => ms <= MAX_TIMER_MS),
      `${clock.delays}`,
    );
    clock.advance(2 ** 31 - 1);
    clock.advance(2 ** 31);
    assert.deepEqual(events, [], 'on time: no delay to report');
  });
});

describe('Infinity means no limit', () => {
  test('sleep(Infinity) schedules nothing and ends only when aborted', async (t) => {
    const clock = useFakeClock(t);
    const controller = new AbortController();
    const slept = track(sleep(Number.POSITIVE_INFINITY, { signal: controller.signal }));
    assert.equal(clock.pending(), 0);
    clock.advance(100 * THIRTY_DAYS);
    await flush();
    assert.equal(slept.settled(), false);
    controller.abort();
    await assert.rejects(slept.promise, { name: 'AbortError' });
  });

  test('timeout(Infinity) and scope({ timeout: Infinity }) never expire', async (t) => {
    const clock = useFakeClock(t);
    const value = await scope({ timeout: Number.POSITIVE_INFINITY }, async () => {
      const inner = timeout(Number.POSITIVE_INFINITY, async () => {
        await sleep(100 * THIRTY_DAYS);
        return 'finished';
      });
      await flush();
      clock.advance(100 * THIRTY_DAYS);
      return inner;
    });
    assert.equal(value, 'finished');
  });

  test('abortGrace: Infinity never reports an ignored abort', async (t) => {
    const clock = useFakeClock(t);
    const events = listen<LeakEvent>(t, 'tandem:leak');
    let release: () => void = () => {};
    const run = scope({ abortGrace: Number.POSITIVE_INFINITY }, async (s) => {
      s.spawn(() => new Promise<void>((resolve) => (release = resolve)));
      await flush();
      s.cancel();
    });
    await flush();
    await flush();
    assert.equal(clock.pending(), 0);
    clock.advance(100 * THIRTY_DAYS);
    assert.deepEqual(events, []);
    release();
    await run;
  });
});
