// Callbacks given to core primitives run in the caller's AsyncLocalStorage context, also when
// they are called after a timer, or after a wait that another context ended (a permit
// released, a value sent): a web server logging from them keeps its request id.
import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, test } from 'node:test';
import { deferred } from '@tandem/workers/internal';
import { channel } from '../src/channel.ts';
import { all, any, asCompleted, map, race } from '../src/combinators.ts';
import { limiter } from '../src/limiter.ts';
import { retry } from '../src/retry.ts';
import { scope } from '../src/scope.ts';
import { detach, shield } from '../src/shield.ts';
import { sleep, timeout } from '../src/time.ts';
import { flush, useMockClock } from './support/helpers.ts';

const request = new AsyncLocalStorage<string>();

describe("callbacks run in the caller's async context", () => {
  test("retry's fn, retryIf, retryAfter and random, across timer sleeps", async (t) => {
    const timers = useMockClock(t);
    const seen: Array<[string, string | undefined]> = [];
    const run = request.run('req-1', () =>
      retry(
        (_signal, attempt) => {
          seen.push([`fn ${attempt}`, request.getStore()]);
          if (attempt < 3) throw new Error('again');
          return 'ok';
        },
        {
          attempts: 3,
          retryIf: () => {
            seen.push(['retryIf', request.getStore()]);
            return true;
          },
          retryAfter: (_error, attempt) => {
            seen.push(['retryAfter', request.getStore()]);
            return attempt === 1 ? 10 : undefined;
          },
          random: () => {
            seen.push(['random', request.getStore()]);
            return 0.5;
          },
        },
      ),
    );
    for (let i = 0; i < 10; i++) {
      await flush();
      timers.tick(100);
    }
    assert.equal(await run, 'ok');
    assert.ok(seen.length >= 7, JSON.stringify(seen));
    for (const [what, store] of seen) assert.equal(store, 'req-1', what);
  });

  test('limiter.run fn and acquire after a permit released from another context', async () => {
    const limit = limiter({ concurrency: 1 });
    const holder = await request.run('holder', () => limit.acquire());
    const seen: Array<string | undefined> = [];
    const waiting = request.run('req-2', async () => {
      await limit.run(() => {
        seen.push(request.getStore());
      });
      const permit = await limit.acquire();
      seen.push(request.getStore());
      permit.release();
    });
    await flush();
    request.run('releaser', () => holder.release());
    await waiting;
    assert.deepEqual(seen, ['req-2', 'req-2']);
  });

  test('a permit granted by a rate timer that another context armed', async (t) => {
    const timers = useMockClock(t);
    const limit = limiter({ rate: { limit: 1, per: 100 } });
    await limit.acquire(); // takes the only token
    const seen: Array<string | undefined> = [];
    const first = request.run('first', async () => {
      await limit.run(() => {
        seen.push(request.getStore());
      });
    });
    // The later waiter re-arms the refill timer from its own context.
    const second = request.run('second', async () => {
      await limit.run(() => {
        seen.push(request.getStore());
      });
    });
    for (let i = 0; i < 4; i++) {
      await flush();
      timers.tick(100);
    }
    await Promise.all([first, second]);
    assert.deepEqual(seen, ['first', 'second']);
  });

  test('channel receive and send resume in their own context', async () => {
    const ch = channel<number>({ capacity: 0 });
    const seen: Array<string | undefined> = [];
    const receiver = request.run('receiver', async () => {
      await ch.receive();
      seen.push(request.getStore());
    });
    const sender = request.run('sender', async () => {
      await flush();
      await ch.send(1);
      seen.push(request.getStore());
    });
    await Promise.all([receiver, sender]);
    assert.deepEqual(seen.sort(), ['receiver', 'sender']);
  });

  test('map and asCompleted fns, items started after earlier ones settled', async () => {
    const seen = new Set<string | undefined>();
    await request.run('req-3', async () => {
      for await (const _ of map(
        [1, 2, 3, 4],
        async () => {
          await flush();
          seen.add(request.getStore());
        },
        { concurrency: 1 },
      )) {
        /* consume */
      }
      for await (const _ of asCompleted([async () => seen.add(request.getStore())])) {
        /* consume */
      }
    });
    assert.deepEqual([...seen], ['req-3']);
  });

  test('combinators, scope, timeout, shield, detach and sleep', async (t) => {
    const timers = useMockClock(t);
    const seen = new Set<string | undefined>();
    const note = () => {
      seen.add(request.getStore());
    };
    const done = deferred<void>();
    const run = request.run('req-4', async () => {
      await all([note]);
      await race([note]);
      await any([note]);
      await scope((s) => {
        s.spawn(note);
      });
      await timeout(1_000, note);
      await shield(note);
      await detach(note).result;
      await sleep(10);
      note();
      done.resolve();
    });
    for (let i = 0; i < 5; i++) {
      await flush();
      timers.tick(10);
    }
    await done.promise;
    await run;
    assert.deepEqual([...seen], ['req-4']);
  });
});
