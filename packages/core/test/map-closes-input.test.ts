// map() closes its input iterator (return(), once) on every way out that leaves it unfinished:
// a consumer's break or throw, a failing item, an outside cancel, an enclosing scope's cancel,
// with sync and async inputs, and even while it waits on a slow input. An input that ran out
// or threw is not closed (as for…of does).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deferred } from '@tandem/workers/internal';
import { map } from '../src/combinators.ts';
import { tasks } from '../src/current-scope.ts';
import { scope } from '../src/scope.ts';
import { flush, untilAborted } from './support/helpers.ts';

/** A sync and an async infinite input that count how often their `finally` ran. */
function inputs() {
  const log = { syncClosed: 0, asyncClosed: 0 };
  function* syncInput() {
    try {
      for (let i = 0; ; i++) yield i;
    } finally {
      log.syncClosed++;
    }
  }
  async function* asyncInput() {
    try {
      for (let i = 0; ; i++) yield i;
    } finally {
      log.asyncClosed++;
    }
  }
  return { log, sources: [syncInput, asyncInput] as const };
}

/** An iterator that counts return() calls (a plain object, not a generator). */
function counting(values: number[], onNext?: () => void) {
  let i = 0;
  const calls = { return: 0 };
  const iterator: Iterator<number> & Iterable<number> = {
    next() {
      onNext?.();
      const value = values[i++];
      return value === undefined ? { done: true, value: undefined } : { done: false, value };
    },
    return() {
      calls.return++;
      return { done: true, value: undefined };
    },
    [Symbol.iterator]() {
      return iterator;
    },
  };
  return { iterator, calls };
}

function closedCount(log: { syncClosed: number; asyncClosed: number }, kind: number): number {
  return kind === 0 ? log.syncClosed : log.asyncClosed;
}

describe('map closes its input', () => {
  test('when an item fails', async () => {
    const { log, sources } = inputs();
    for (const [kind, source] of sources.entries()) {
      const boom = new Error('boom');
      await assert.rejects(
        (async () => {
          for await (const _ of map(
            source(),
            async (x) => {
              if (x === 2) throw boom;
              return x;
            },
            { concurrency: 4 },
          )) {
            /* consume */
          }
        })(),
        (error) => error === boom,
      );
      assert.equal(closedCount(log, kind), 1, `kind ${kind}`);
    }
  });

  test('on an outside cancel', async () => {
    const { log, sources } = inputs();
    for (const [kind, source] of sources.entries()) {
      const controller = new AbortController();
      const reason = new Error('stop');
      const run = (async () => {
        for await (const _ of map(source(), (_x, signal) => untilAborted(signal), {
          concurrency: 2,
          signal: controller.signal,
        })) {
          /* never */
        }
      })();
      await flush();
      controller.abort(reason);
      await assert.rejects(run, (error) => error === reason);
      assert.equal(closedCount(log, kind), 1, `kind ${kind}`);
    }
  });

  test('when the enclosing scope is cancelled', async () => {
    const { log, sources } = inputs();
    for (const [kind, source] of sources.entries()) {
      const reason = new Error('scope cancelled');
      let run: Promise<void> | undefined;
      await scope(async (s) => {
        run = (async () => {
          for await (const _ of map(source(), (_x, signal) => untilAborted(signal))) {
            /* never */
          }
        })();
        run.catch(() => {});
        await flush();
        s.cancel(reason);
      });
      await assert.rejects(run!, (error) => error === reason);
      assert.equal(closedCount(log, kind), 1, `kind ${kind}`);
    }
  });

  test('when the consumer breaks or throws', async () => {
    const { log, sources } = inputs();
    for (const [kind, source] of sources.entries()) {
      for await (const _ of map(source(), async (x) => x)) break;
      assert.equal(closedCount(log, kind), 1, `break, kind ${kind}`);
      const mine = new Error('consumer failed');
      await assert.rejects(
        (async () => {
          for await (const _ of map(source(), async (x) => x)) throw mine;
        })(),
        (error) => error === mine,
      );
      assert.equal(closedCount(log, kind), 2, `throw, kind ${kind}`);
    }
  });

  test('once, and never after it ran out', async () => {
    const failing = counting([1, 2, 3]);
    await assert.rejects(
      (async () => {
        for await (const _ of map(failing.iterator, async () => {
          await flush(); // after the input ran out
          throw new Error('every item fails');
        })) {
          /* never */
        }
      })(),
    );
    assert.equal(failing.calls.return, 0, 'all three were read: the input ran out');

    const broken = counting([1, 2, 3, 4, 5]);
    for await (const _ of map(broken.iterator, async (x) => x, { concurrency: 1 })) break;
    assert.equal(broken.calls.return, 1);

    const finished = counting([1, 2]);
    const seen: number[] = [];
    for await (const x of map(finished.iterator, async (x) => x)) seen.push(x);
    assert.deepEqual(seen, [1, 2]);
    assert.equal(finished.calls.return, 0);
  });

  test('not when the input itself threw (as for…of)', async () => {
    const boom = new Error('input broke');
    let returns = 0;
    const input: Iterable<number> = {
      [Symbol.iterator]: () => ({
        next: () => {
          throw boom;
        },
        return: () => {
          returns++;
          return { done: true, value: undefined };
        },
      }),
    };
    await assert.rejects(
      (async () => {
        for await (const _ of map(input, async (x) => x)) {
          /* never */
        }
      })(),
      (error) => error === boom,
    );
    assert.equal(returns, 0);
  });

  test('a cancel is not held up by an input that never yields again', async () => {
    const stuck = deferred<void>();
    let closed = false;
    async function* slow() {
      try {
        yield 1;
        await stuck.promise; // an input waiting on something that never comes
        yield 2;
      } finally {
        closed = true;
      }
    }
    const controller = new AbortController();
    const reason = new Error('stop');
    const run = (async () => {
      for await (const _ of map(slow(), (_x, signal) => untilAborted(signal), {
        signal: controller.signal,
        name: 'stuck-input',
      })) {
        /* never */
      }
    })();
    await flush();
    controller.abort(reason);
    await assert.rejects(run, (error) => error === reason);
    assert.equal(
      tasks().some((info) => info.name === 'stuck-input'),
      false,
    );
    // The input's return() was queued behind its pending next(): it runs once that ends.
    stuck.resolve();
    await flush();
    assert.equal(closed, true);
  });

  test('a throwing return() is reported after the items settled', async () => {
    const closing = new Error('return failed');
    const input: Iterable<number> = {
      [Symbol.iterator]: () => ({
        next: () => ({ done: false, value: 1 }),
        return: () => {
          throw closing;
        },
      }),
    };
    let itemsSettled = 0;
    await assert.rejects(
      (async () => {
        for await (const _ of map(input, async (x, signal) => {
          await flush();
          itemsSettled++;
          signal.throwIfAborted();
          return x;
        })) {
          break;
        }
      })(),
      (error) => error === closing,
    );
    assert.ok(itemsSettled >= 1);
  });
});

describe('map input checks', () => {
  test('an input that is not iterable is refused at the call', () => {
    for (const bad of [5, null, undefined, {}, true]) {
      assert.throws(() => map(bad as never, async (x) => x), {
        code: 'ERR_TANDEM_INVALID_ARGUMENT',
      });
    }
  });

  test('a string is iterable (by code point)', async () => {
    const seen: string[] = [];
    for await (const c of map('ab', async (c) => c)) seen.push(c);
    assert.deepEqual(seen, ['a', 'b']);
  });
});
