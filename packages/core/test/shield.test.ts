import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, test } from 'node:test';
import { deferred } from '@tandem/workers/internal';
import { tasks } from '../src/current-scope.ts';
import type { LeakEvent } from '../src/diagnostics/channels.ts';
import { scope } from '../src/scope.ts';
import { detach, shield } from '../src/shield.ts';
import { flush, track, untilAborted, useMockClock } from './support/helpers.ts';

describe('shield', () => {
  test('the parent cancellation waits for the shielded work, which is not cancelled', async () => {
    const commit = deferred<string>();
    let shieldedSignal: AbortSignal | undefined;
    let result: string | undefined;
    const reason = new Error('cancel parent');
    const run = track(
      scope(async (s) => {
        s.spawn(async () => {
          result = await shield(async (inner) => {
            shieldedSignal = inner.signal;
            return commit.promise;
          });
        });
        await flush();
        s.cancel(reason);
      }),
    );
    await flush();
    assert.equal(shieldedSignal?.aborted, false);
    assert.equal(run.settled(), false, 'the parent waits for the shielded work');
    commit.resolve('committed');
    await run.promise;
    assert.equal(result, 'committed');
  });

  test('shielded work gets its own signal and optional timeout', async (t) => {
    const timers = useMockClock(t);
    const run = scope({ timeout: 10 }, async () =>
      shield((inner) => untilAborted(inner.signal), { timeout: 100 }),
    );
    run.catch(() => {});
    await flush();
    timers.tick(10);
    await flush();
    timers.tick(90);
    await assert.rejects(run, (error: unknown) => {
      // The outer scope expired too, but the shield's own TimeoutError is the real error.
      assert.equal((error as { code?: string }).code, 'ERR_TANDEM_TASK_GROUP');
      assert.equal((error as AggregateError).errors[0].code, 'ERR_TANDEM_TIMEOUT');
      return true;
    });
  });

  test('a shield appears under its caller in tasks()', async () => {
    const seen = deferred<ReturnType<typeof tasks>>();
    await scope({ name: 'parent' }, async () => {
      await shield(async () => seen.resolve(tasks()), { name: 'commit' });
    });
    const parent = (await seen.promise).find((info) => info.name === 'parent');
    assert.equal(parent?.children[0]?.kind, 'shield');
    assert.equal(parent?.children[0]?.path, 'parent/commit');
  });
});

describe('detach', () => {
  test('a detached task is not cancelled with the scope that started it and is tracked', async (t) => {
    const events: LeakEvent[] = [];
    const onLeak = (event: unknown) => events.push(event as LeakEvent);
    subscribe('tandem:leak', onLeak);
    t.after(() => unsubscribe('tandem:leak', onLeak));
    const gate = deferred<string>();
    let task: ReturnType<typeof detach<string>> | undefined;
    await scope(async (s) => {
      task = detach(() => gate.promise, { name: 'background' });
      s.cancel();
    });
    assert.equal(task?.signal.aborted, false);
    assert.ok(tasks().some((info) => info.kind === 'detached' && info.name === 'background'));
    assert.deepEqual(
      events.map((e) => [e.kind, e.name]),
      [['detached', 'background']],
    );
    gate.resolve('done');
    assert.equal(await task?.result, 'done');
  });

  test('a failing detached task is reported, not left unhandled', async (t) => {
    const events: LeakEvent[] = [];
    const onLeak = (event: unknown) => events.push(event as LeakEvent);
    subscribe('tandem:leak', onLeak);
    t.after(() => unsubscribe('tandem:leak', onLeak));
    const boom = new Error('boom');
    detach(async () => {
      throw boom;
    });
    await flush();
    assert.equal(events.find((e) => e.kind === 'detached-error')?.error, boom);
  });

  test('a detached task is cancelled only by its own signal', async () => {
    const controller = new AbortController();
    const task = detach((signal) => untilAborted(signal), { signal: controller.signal });
    controller.abort(new Error('stop'));
    await assert.rejects(task.result, { message: 'stop' });
    assert.equal(task.state, 'cancelled');
  });
});
