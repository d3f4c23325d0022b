// CPU work through the engine inside scopes that are cancelled or expire (with and without an
// explicit signal, with the run's own timeout and deadline), and callbacks that must run in
// the caller's async context.
import { AsyncLocalStorage } from 'node:async_hooks';
import { getEventListeners } from 'node:events';
import { scope } from '@tandem/core';
import fc from 'fast-check';
import {
  attempt,
  eventually,
  type Outcome,
  pause,
  settleWithin,
  turns,
  watch,
} from '../../../../workers/test/fuzz/support/bound.ts';
import { takeStrays } from '../../../../workers/test/fuzz/support/guard.ts';
import {
  describe,
  isEngineError,
  show,
  Verdict,
} from '../../../../workers/test/fuzz/support/judge.ts';
import type { FuzzProperty } from '../../../../workers/test/fuzz/support/property.ts';

import { sharedEngine, teardown } from '../support/shared-engine.ts';

/** A task that runs until its signal aborts (see the `act` task of the fixture). */
function hang(cells: Int32Array, index: number) {
  return { cells, index, kind: 'hang', steps: 0 };
}

type End = 'cancel' | 'deadline' | 'ownAbort' | 'none';
const limit = fc.option(fc.constantFrom(10, 60_000, 2 ** 31, Number.POSITIVE_INFINITY), {
  nil: undefined,
});

const scopedProperty: FuzzProperty = {
  name: 'engine.run / map in a scope: the scope cancel and deadline, the own signal and both limits all hold',
  runs: 12,
  property: fc.asyncProperty(
    fc.constantFrom('run', 'map'),
    fc.constantFrom('none', 'own'),
    fc.constantFrom<End>('cancel', 'deadline', 'ownAbort', 'none'),
    limit,
    limit,
    async (call, own, end, timeout, deadline) => {
      const engine = await sharedEngine();
      const verdict = new Verdict();
      const cells = new Int32Array(new SharedArrayBuffer(16));
      const controller = own === 'own' ? new AbortController() : undefined;
      const cancel = new Error('the scope was cancelled');
      const ownReason = new Error('the own signal aborted');
      const options: Record<string, unknown> = {};
      if (controller) options.signal = controller.signal;
      if (deadline !== undefined) options.deadline = deadline;
      if (timeout !== undefined && call === 'run') options.timeout = timeout;
      const short = deadline === 10 || (timeout === 10 && call === 'run');
      const scoped = await settleWithin(
        scope({ ...(end === 'deadline' ? { timeout: 20 } : {}) }, async (s) => {
          const work = watch(() =>
            call === 'run'
              ? engine.run('act', hang(cells, 0), options)
              : engine.map('act', [hang(cells, 0), hang(cells, 1)], options),
          );
          await pause(30);
          if (end === 'cancel') s.cancel(cancel);
          if (end === 'ownAbort') controller?.abort(ownReason);
          let outcome = await work.wait(
            end === 'none' || (end === 'ownAbort' && !controller) ? 200 : undefined,
          );
          const expected = (o: Outcome) => {
            const reason = o.status === 'rejected' ? o.reason : undefined;
            const timedOut = short && isEngineError(reason, 'ERR_TANDEM_TASK_TIMEOUT');
            if (end === 'cancel') return reason === cancel || timedOut;
            if (end === 'deadline')
              return (
                isEngineError(reason, 'ERR_TANDEM_CANCELLED', 'ERR_TANDEM_TIMEOUT') || timedOut
              );
            if (end === 'ownAbort' && controller) return reason === ownReason || timedOut;
            return short ? timedOut : o.status === 'unsettled';
          };
          verdict.expect(
            expected(outcome),
            () =>
              `${call} (own signal ${own}, timeout ${timeout}, deadline ${deadline}), ended by ${end}: ${show(outcome)}`,
          );
          if (outcome.status === 'unsettled') {
            s.cancel(cancel);
            outcome = await work.wait();
            verdict.expect(
              outcome.status === 'rejected',
              () => `after the scope's cancel, ${call} ${show(outcome)}`,
            );
          }
        }),
      );
      verdict.expect(
        scoped.status !== 'unsettled' &&
          (scoped.status === 'fulfilled' ||
            isEngineError((scoped as { reason: unknown }).reason, 'ERR_TANDEM_TIMEOUT')),
        () => `the scope ${show(scoped)}`,
      );
      controller?.abort(new Error('cleaning up'));
      const idle = await eventually(() => {
        const s = engine.stats().pool;
        return s.queued === 0 && s.running === 0 && s.inWorkers === 0;
      });
      verdict.expect(
        idle,
        () => `the pool did not return to idle: ${JSON.stringify(engine.stats().pool)}`,
      );
      if (controller) {
        const left = getEventListeners(controller.signal, 'abort').length;
        verdict.expect(left === 0, `${left} abort listeners left on the caller's signal`);
      }
      await turns();
      for (const stray of takeStrays()) verdict.fail(`in the process: ${stray}`);
      verdict.done();
    },
  ),
};

const contextProperty: FuzzProperty = {
  name: "callbacks (onProgress of run and map) run in the caller's async context",
  runs: 6,
  property: fc.asyncProperty(
    fc.constantFrom('run', 'map'),
    fc.integer({ min: 1, max: 3 }),
    fc.nat(),
    async (call, steps, id) => {
      const engine = await sharedEngine();
      const verdict = new Verdict();
      const als = new AsyncLocalStorage<number>();
      const seen: unknown[] = [];
      const cells = new Int32Array(new SharedArrayBuffer(16));
      const input = (index: number) => ({ cells, index, kind: 'progress', steps });
      const outcome = await als.run(id, () =>
        attempt(() =>
          call === 'run'
            ? engine.run('act', input(0), { onProgress: () => seen.push(als.getStore()) })
            : engine.map('act', [input(0), input(1)], {
                onProgress: () => seen.push(als.getStore()),
              }),
        ),
      );
      verdict.expect(outcome.status === 'fulfilled', () => `${call} ${show(outcome)}`);
      verdict.expect(
        seen.length > 0 && seen.every((store) => store === id),
        () => `onProgress of ${call} saw contexts ${describe(seen)}, the caller's was ${id}`,
      );
      verdict.done();
    },
  ),
};

export const properties = [scopedProperty, contextProperty];
export { teardown };
