import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deferred } from '@tandem/workers/internal';
import { all, allSettled, any, asCompleted, map, race } from '../src/combinators.ts';
import { tasks } from '../src/current-scope.ts';
import { scope } from '../src/scope.ts';
import { flush, untilAborted } from './support/helpers.ts';

/** Work that records its signal and waits until aborted, then reports having settled. */
function hanging(log: { signals: AbortSignal[]; settled: number }) {
  return async (signal: AbortSignal): Promise<never> => {
    log.signals.push(signal);
    try {
      return await untilAborted(signal);
    } finally {
      log.settled++;
    }
  };
}

describe('all / allSettled', () => {
  test('all resolves with the values in input order', async () => {
    const slow = deferred<string>();
    const run = all([() => slow.promise, async () => 2] as const);
    await flush();
    slow.resolve('one');
    assert.deepEqual(await run, ['one', 2]);
  });

  test('all aborts the siblings on the first error and waits for them', async () => {
    const log = { signals: [] as AbortSignal[], settled: 0 };
    const boom = new Error('boom');
    await assert.rejects(
      all([
        hanging(log),
        hanging(log),
        async () => {
          throw boom;
        },
      ]),
      (error) => error === boom,
    );
    assert.equal(log.settled, 2);
    assert.ok(log.signals.every((signal) => signal.aborted));
  });

  test('all rejects with the outside reason when cancelled', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    const log = { signals: [] as AbortSignal[], settled: 0 };
    const run = all([hanging(log)], { signal: controller.signal });
    await flush();
    controller.abort(reason);
    await assert.rejects(run, (error) => error === reason);
  });

  test('allSettled reports each outcome and a failure aborts nothing', async () => {
    const later = deferred<string>();
    let otherAborted: boolean | undefined;
    const boom = new Error('boom');
    const run = allSettled([
      async () => {
        throw boom;
      },
      async (signal: AbortSignal) => {
        const value = await later.promise;
        otherAborted = signal.aborted;
        return value;
      },
    ]);
    await flush();
    later.resolve('fine');
    assert.deepEqual(await run, [
      { status: 'rejected', reason: boom },
      { status: 'fulfilled', value: 'fine' },
    ]);
    assert.equal(otherAborted, false);
  });

  test('allSettled rejects with the outside reason when cancelled', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    const run = allSettled([(signal: AbortSignal) => untilAborted(signal)], {
      signal: controller.signal,
    });
    await flush();
    controller.abort(reason);
    await assert.rejects(run, (error) => error === reason);
  });
});

describe('race / any', () => {
  test('race returns the first value, aborts the losers and waits for them to settle', async () => {
    const log = { signals: [] as AbortSignal[], settled: 0 };
    const winner = deferred<string>();
    const run = race([hanging(log), () => winner.promise, hanging(log)]);
    await flush();
    winner.resolve('first');
    assert.equal(await run, 'first');
    assert.equal(log.settled, 2);
    assert.ok(log.signals.every((signal) => signal.aborted));
  });

  test('race rejects with the first error and still waits for the losers', async () => {
    const log = { signals: [] as AbortSignal[], settled: 0 };
    const boom = new Error('boom');
    await assert.rejects(
      race([
        hanging(log),
        async () => {
          throw boom;
        },
      ]),
      (error) => error === boom,
    );
    assert.equal(log.settled, 1);
  });

  test('race of nothing is rejected at the boundary', async () => {
    await assert.rejects(race([]), { code: 'ERR_TANDEM_OUT_OF_RANGE' });
  });

  test('any skips failures, returns the first value and aborts the losers', async () => {
    const log = { signals: [] as AbortSignal[], settled: 0 };
    const ok = deferred<number>();
    const run = any([
      async () => {
        throw new Error('a');
      },
      hanging(log),
      () => ok.promise,
    ]);
    await flush();
    assert.equal(log.signals[0]?.aborted, false, 'a failure aborts nothing');
    ok.resolve(3);
    assert.equal(await run, 3);
    assert.equal(log.settled, 1);
  });

  test('any rejects with every error in input order when all fail', async () => {
    const a = new Error('a');
    const b = new Error('b');
    const late = deferred<never>();
    const run = any([
      () => late.promise,
      async () => {
        throw b;
      },
    ]);
    await flush();
    late.reject(a);
    await assert.rejects(run, (error: unknown) => {
      assert.ok(error instanceof AggregateError);
      assert.deepEqual(error.errors, [a, b]);
      return true;
    });
  });
});

describe('asCompleted / map', () => {
  test('asCompleted yields values in completion order', async () => {
    const first = deferred<string>();
    const second = deferred<string>();
    const seen: string[] = [];
    const iterate = (async () => {
      for await (const value of asCompleted([() => first.promise, () => second.promise]))
        seen.push(value);
    })();
    await flush();
    second.resolve('second');
    await flush();
    assert.deepEqual(seen, ['second']);
    first.resolve('first');
    await iterate;
    assert.deepEqual(seen, ['second', 'first']);
  });

  test('break out of asCompleted aborts the rest and waits for them', async () => {
    const log = { signals: [] as AbortSignal[], settled: 0 };
    for await (const value of asCompleted<string>([
      hanging(log),
      async () => 'quick',
      hanging(log),
    ])) {
      assert.equal(value, 'quick');
      break;
    }
    assert.equal(log.settled, 2);
    assert.ok(log.signals.every((signal) => signal.aborted));
  });

  test('map yields in input order by default', async () => {
    const gates = [deferred<void>(), deferred<void>(), deferred<void>()];
    const out: number[] = [];
    const iterate = (async () => {
      for await (const v of map([0, 1, 2], async (i) => {
        await gates[i]!.promise;
        return i * 10;
      })) {
        out.push(v);
      }
    })();
    gates[2]!.resolve();
    gates[1]!.resolve();
    await flush();
    assert.deepEqual(out, []);
    gates[0]!.resolve();
    await iterate;
    assert.deepEqual(out, [0, 10, 20]);
  });

  test('map holds at most `concurrency` items and reads an infinite input lazily', async () => {
    let pulled = 0;
    function* naturals() {
      for (let i = 0; ; i++) {
        pulled++;
        yield i;
      }
    }
    let inFlight = 0;
    let maxInFlight = 0;
    const out: number[] = [];
    for await (const v of map(
      naturals(),
      async (i) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await flush();
        inFlight--;
        return i;
      },
      { concurrency: 3 },
    )) {
      out.push(v);
      if (out.length === 10) break;
    }
    assert.deepEqual(out, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(maxInFlight, 3);
    assert.ok(pulled <= 13, `pulled ${pulled} items for 10 results with concurrency 3`);
  });

  test('map in completion order yields each item as soon as it is done', async () => {
    const slow = deferred<void>();
    const out: string[] = [];
    const iterate = (async () => {
      for await (const v of map(
        ['slow', 'fast'],
        async (name) => {
          if (name === 'slow') await slow.promise;
          return name;
        },
        { order: 'completion' },
      )) {
        out.push(v);
      }
    })();
    await flush();
    assert.deepEqual(out, ['fast']);
    slow.resolve();
    await iterate;
    assert.deepEqual(out, ['fast', 'slow']);
  });

  test('a failing item aborts the items in flight and is thrown from the iteration', async () => {
    const log = { signals: [] as AbortSignal[], settled: 0 };
    const boom = new Error('boom');
    const fail = deferred<never>();
    const iteration = (async () => {
      for await (const _ of map([0, 1, 2], async (i, signal) => {
        if (i === 1) return fail.promise;
        return hanging(log)(signal);
      })) {
        assert.fail('nothing should be yielded');
      }
    })();
    await flush();
    assert.equal(log.signals.length, 2);
    fail.reject(boom);
    await assert.rejects(iteration, (error) => error === boom);
    assert.equal(log.settled, 2);
    assert.ok(log.signals.every((signal) => signal.aborted));
  });

  test('break out of map closes the input and settles its scope', async () => {
    let closed = false;
    function* input() {
      try {
        yield 1;
        yield 2;
        yield 3;
      } finally {
        closed = true;
      }
    }
    for await (const _ of map(input(), async (x) => x, { concurrency: 1, name: 'broken-off' }))
      break;
    assert.equal(closed, true);
    assert.equal(
      tasks().some((info) => info.name === 'broken-off'),
      false,
      'the map scope settled',
    );
  });

  test('map items run inside the enclosing scope and its cancellation stops them', async () => {
    const reason = new Error('outer cancelled');
    let iteration: Promise<void> | undefined;
    await scope(async (s) => {
      iteration = (async () => {
        for await (const _ of map([1, 2], (_x, signal) => untilAborted(signal))) {
          /* never */
        }
      })();
      iteration.catch(() => {});
      await flush();
      s.cancel(reason);
    });
    await assert.rejects(iteration!, (error) => error === reason);
  });

  test('a map that is never iterated leaves nothing in the task tree', () => {
    map([1], async (x) => x, { name: 'unused-map' });
    assert.equal(
      tasks().some((info) => info.name === 'unused-map'),
      false,
    );
  });

  test('map rejects concurrency below 1 at the boundary', () => {
    assert.throws(() => map([], async () => 0, { concurrency: 0 }), {
      code: 'ERR_TANDEM_OUT_OF_RANGE',
    });
  });
});
