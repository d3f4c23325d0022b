import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { currentScope } from '../src/current-scope.ts';
import { RetryError } from '../src/errors.ts';
import { retry } from '../src/retry.ts';
import { timeout } from '../src/time.ts';
import { flush, track, untilAborted, useMockClock } from './support/helpers.ts';

describe('retry', () => {
  test('retries until an attempt succeeds', async () => {
    let calls = 0;
    const value = await retry(
      async (_signal, attempt) => {
        calls++;
        if (attempt < 3) throw new Error(`attempt ${attempt}`);
        return 'ok';
      },
      { attempts: 3, backoff: { initial: 0 } },
    );
    assert.equal(value, 'ok');
    assert.equal(calls, 3);
  });

  test('the final error carries every attempt error', async () => {
    const errors = [new Error('1'), new Error('2'), new Error('3')];
    await assert.rejects(
      retry(
        async (_signal, attempt) => {
          throw errors[attempt - 1];
        },
        { attempts: 3, backoff: { initial: 0 } },
      ),
      (error: unknown) => {
        assert.ok(error instanceof RetryError);
        assert.equal(error.code, 'ERR_TANDEM_RETRY_EXHAUSTED');
        assert.deepEqual(error.errors, errors);
        assert.equal(error.cause, errors[2]);
        return true;
      },
    );
  });

  test('backoff grows by factor up to max, with no jitter', async (t) => {
    const timers = useMockClock(t);
    const startedAt: number[] = [];
    const run = retry(
      async () => {
        startedAt.push(Date.now());
        throw new Error('again');
      },
      { attempts: 5, jitter: 'none', backoff: { initial: 100, factor: 2, max: 300 } },
    );
    run.catch(() => {});
    for (let i = 0; i < 20; i++) {
      await flush();
      timers.tick(50);
    }
    await assert.rejects(run, { code: 'ERR_TANDEM_RETRY_EXHAUSTED' });
    assert.deepEqual(startedAt, [0, 100, 300, 600, 900]);
  });

  test('jitter modes stay within their bounds', async (t) => {
    const timers = useMockClock(t);
    for (const [jitter, random, expected] of [
      ['full', () => 0.5, 50],
      ['equal', () => 0, 50],
      ['decorrelated', () => 1, 300],
    ] as const) {
      const startedAt: number[] = [];
      const run = retry(
        async () => {
          startedAt.push(Date.now());
          throw new Error('again');
        },
        { attempts: 2, jitter, random, backoff: { initial: 100 } },
      );
      run.catch(() => {});
      await flush();
      timers.tick(expected);
      await assert.rejects(run, { code: 'ERR_TANDEM_RETRY_EXHAUSTED' });
      assert.equal(startedAt[1]! - startedAt[0]!, expected, jitter);
    }
  });

  test('retryIf stops at a failure that is not retryable', async () => {
    let calls = 0;
    const fatal = new Error('fatal');
    await assert.rejects(
      retry(
        async () => {
          calls++;
          throw fatal;
        },
        { attempts: 5, retryIf: (error) => error !== fatal },
      ),
      (error: unknown) => error instanceof RetryError && error.errors.length === 1,
    );
    assert.equal(calls, 1);
  });

  test('retryAfter overrides the backoff delay', async (t) => {
    const timers = useMockClock(t);
    const startedAt: number[] = [];
    const run = retry(
      async (_signal, attempt) => {
        startedAt.push(Date.now());
        if (attempt === 1) throw Object.assign(new Error('429'), { retryAfterMs: 2_000 });
        return 'done';
      },
      {
        backoff: { initial: 10 },
        retryAfter: (error) => (error as { retryAfterMs?: number }).retryAfterMs,
      },
    );
    await flush();
    timers.tick(1_999);
    await flush();
    assert.equal(startedAt.length, 1);
    timers.tick(1);
    assert.equal(await run, 'done');
    assert.deepEqual(startedAt, [0, 2_000]);
  });

  test('an abort is never retried', async () => {
    const controller = new AbortController();
    const reason = new Error('user cancelled');
    let calls = 0;
    const run = retry(
      (signal) => {
        calls++;
        return untilAborted(signal);
      },
      { attempts: 5, signal: controller.signal },
    );
    await flush();
    controller.abort(reason);
    await assert.rejects(run, (error) => error === reason);
    assert.equal(calls, 1);
  });

  test('an AbortError from another signal is not retried either', async () => {
    let calls = 0;
    const abortError = new DOMException('stopped elsewhere', 'AbortError');
    await assert.rejects(
      retry(async () => {
        calls++;
        throw abortError;
      }),
      (error) => error === abortError,
    );
    assert.equal(calls, 1);
  });

  test('the sleep between attempts is abortable', async (t) => {
    useMockClock(t);
    const controller = new AbortController();
    const reason = new Error('stop waiting');
    const run = track(
      retry(
        async () => {
          throw new Error('fail');
        },
        { attempts: 3, jitter: 'none', backoff: { initial: 60_000 }, signal: controller.signal },
      ),
    );
    await flush();
    assert.equal(run.settled(), false);
    controller.abort(reason);
    await assert.rejects(run.promise, (error) => error === reason);
  });

  test('each attempt runs in a child scope under the overall deadline', async (t) => {
    const timers = useMockClock(t);
    const seen: { deadline: number | undefined; path: string | undefined }[] = [];
    const run = timeout(
      500,
      () =>
        retry(
          async (signal, attempt) => {
            const ctx = currentScope();
            seen.push({ deadline: ctx?.deadline, path: ctx?.path });
            if (attempt === 2) return untilAborted(signal);
            throw new Error('first fails');
          },
          { attempts: 5, jitter: 'none', backoff: { initial: 100 } },
        ),
      { name: 'job' },
    );
    await flush();
    timers.tick(100);
    await flush();
    timers.tick(400);
    await assert.rejects(run, { code: 'ERR_TANDEM_TIMEOUT' });
    assert.equal(seen.length, 2, 'the deadline cancel was not retried');
    assert.deepEqual(
      seen.map((s) => s.deadline),
      [500, 500],
    );
    assert.match(seen[1]!.path!, /^job\/retry\/attempt-2$/);
  });

  test('options.timeout bounds every attempt and sleep together', async (t) => {
    const timers = useMockClock(t);
    const run = retry(
      async () => {
        throw new Error('fail');
      },
      { attempts: 10, jitter: 'none', backoff: { initial: 100 }, timeout: 250 },
    );
    await flush();
    timers.tick(250);
    await assert.rejects(run, { code: 'ERR_TANDEM_TIMEOUT' });
  });

  test('options are validated at the boundary', async () => {
    await assert.rejects(
      retry(async () => 1, { attempts: 0 }),
      { code: 'ERR_TANDEM_OUT_OF_RANGE' },
    );
    await assert.rejects(
      retry(async () => 1, { jitter: 'some' as never }),
      {
        code: 'ERR_TANDEM_INVALID_ARGUMENT',
      },
    );
  });
});
