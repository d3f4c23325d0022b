// Arbitrary work for all / allSettled / race / any and the concurrent map: values,
// own errors, synchronous throws, work that hangs until aborted, non-functions. The property:
// each combinator settles as its contract says (with an input's own error or value, or a
// coded error), every piece of work it started has ended (was aborted and joined) by the time
// it settles, and the map closes its input iterator however the iteration ends.
import { all, allSettled, any, map, race, scope, TandemError } from '@tandem/core';
import fc from 'fast-check';
import {
  buildOption,
  numbers,
  optionValue,
} from '../../../../workers/test/fuzz/support/arbitraries.ts';
import {
  type Outcome,
  settleWithin,
  turns,
  watch,
} from '../../../../workers/test/fuzz/support/bound.ts';
import { takeStrays } from '../../../../workers/test/fuzz/support/guard.ts';
import {
  describe,
  isEngineError,
  show,
  VALIDATION,
  Verdict,
} from '../../../../workers/test/fuzz/support/judge.ts';
import type { FuzzProperty } from '../../../../workers/test/fuzz/support/property.ts';
import { loopBound } from '../../../../workers/test/fuzz/support/settings.ts';

type Work = 'value' | 'rejects' | 'throws' | 'hang' | 'notAFunction';
const work = fc.constantFrom<Work>(
  'value',
  'value',
  'rejects',
  'throws',
  'hang',
  'hang',
  'notAFunction',
);

/** Pieces of work that record when they start and end. */
function makeWork(kinds: Work[]) {
  const started = new Set<number>();
  const ended = new Set<number>();
  const errors = kinds.map((_, i) => new Error(`own error of work ${i}`));
  const fns = kinds.map((kind, i) => {
    if (kind === 'notAFunction') return i % 2 === 0 ? null : 5;
    return (signal: AbortSignal) => {
      started.add(i);
      if (kind === 'throws') {
        ended.add(i);
        throw errors[i];
      }
      const done = (): Promise<unknown> =>
        kind === 'value'
          ? Promise.resolve(i)
          : kind === 'rejects'
            ? Promise.reject(errors[i])
            : new Promise((_, reject) => {
                if (signal.aborted) reject(signal.reason);
                signal.addEventListener('abort', () => reject(signal.reason), { once: true });
              });
      return done().finally(() => ended.add(i));
    };
  });
  return { fns, started, ended, errors };
}

type Which = 'all' | 'allSettled' | 'race' | 'any';
// Typed loosely: the inputs are hostile anyway.
const combinators: Record<Which, (fns: unknown) => Promise<unknown>> = {
  all: (fns) => all(fns as never),
  allSettled: (fns) => allSettled(fns as never),
  race: (fns) => race(fns as never),
  any: (fns) => any(fns as never),
};

function judge(which: Which, kinds: Work[], errors: Error[], outcome: Outcome): boolean {
  const reason = outcome.status === 'rejected' ? outcome.reason : undefined;
  const value = outcome.status === 'fulfilled' ? outcome.value : undefined;
  const own = (r: unknown) => errors.includes(r as Error);
  const finished = kinds.map((k, i) => (k === 'value' ? i : undefined));
  const failing = kinds.some((k) => k === 'rejects' || k === 'throws');
  const hangs = kinds.includes('hang');
  switch (which) {
    case 'all':
      if (failing) return own(reason);
      return !hangs && JSON.stringify(value) === JSON.stringify(finished);
    case 'allSettled': {
      if (hangs) return false;
      const got = value as PromiseSettledResult<unknown>[];
      return kinds.every((k, i) =>
        k === 'value'
          ? got[i]?.status === 'fulfilled' &&
            (got[i] as PromiseFulfilledResult<unknown>).value === i
          : got[i]?.status === 'rejected' && (got[i] as PromiseRejectedResult).reason === errors[i],
      );
    }
    case 'race':
      if (kinds.length === 0) return isEngineError(reason, 'ERR_TANDEM_OUT_OF_RANGE');
      return (outcome.status === 'fulfilled' && kinds[value as number] === 'value') || own(reason);
    case 'any': {
      if (kinds.some((k) => k === 'value'))
        return outcome.status === 'fulfilled' && kinds[value as number] === 'value';
      if (hangs) return false;
      // Every input failed: a coded engine error (an AggregateError of theirs, in order).
      const list = (reason as { errors?: unknown[] })?.errors;
      return isEngineError(reason) && Array.isArray(list) && list.every((e, i) => e === errors[i]);
    }
  }
}

const combinatorProperty: FuzzProperty = {
  name: 'all / allSettled / race / any: settle by their contract, and join every piece of work first',
  runs: 100,
  property: fc.asyncProperty(
    fc.constantFrom<Which>('all', 'allSettled', 'race', 'any'),
    fc.array(work, { maxLength: 5 }),
    async (which, kinds) => {
      const verdict = new Verdict();
      const { fns, started, ended, errors } = makeWork(kinds);
      const cancel = new Error('the enclosing scope was cancelled');
      const enclosing = await settleWithin(
        scope(async (s) => {
          const call = watch(() => combinators[which](fns));
          // All work but `hang` ends within a few turns of the loop: pending after them, it hangs.
          await turns(5);
          let outcome = call.current ?? (await call.wait(1));
          if (kinds.includes('notAFunction')) {
            verdict.expect(
              outcome.status === 'rejected' && isEngineError(outcome.reason, ...VALIDATION),
              () => `${which} over a non-function ${show(outcome)}`,
            );
            return;
          }
          if (outcome.status === 'unsettled') {
            // Only hanging work can keep it open: the enclosing scope's cancel ends it.
            s.cancel(cancel);
            outcome = await call.wait(loopBound);
            verdict.expect(
              kinds.includes('hang') && outcome.status === 'rejected' && outcome.reason === cancel,
              () =>
                `${which}(${kinds.join(', ')}) was pending, then after the cancel ${show(outcome)}`,
            );
          } else {
            verdict.expect(
              judge(which, kinds, errors, outcome),
              () => `${which}(${kinds.join(', ')}) ${show(outcome)}`,
            );
            const reason = outcome.status === 'rejected' ? outcome.reason : undefined;
            verdict.expect(
              reason === undefined ||
                errors.includes(reason as Error) ||
                TandemError.isTandemError(reason),
              () =>
                `${which} rejected with ${describe(reason)}: neither an input's error nor a Tandem error`,
            );
          }
          const loose = [...started].filter((i) => !ended.has(i));
          verdict.expect(
            loose.length === 0,
            () => `${which} settled while work ${loose.join(', ')} still ran`,
          );
        }),
        3 * loopBound,
      );
      verdict.expect(
        enclosing.status === 'fulfilled',
        () => `the enclosing scope ${show(enclosing)}`,
      );
      await turns();
      for (const stray of takeStrays()) verdict.fail(`in the process: ${stray}`);
      verdict.done();
    },
  ),
};

type Consume = { how: 'all' } | { how: 'break'; after: number } | { how: 'cancel'; after: number };

const mapProperty: FuzzProperty = {
  name: 'map(items, fn): closes its input iterator and joins its work however the iteration ends',
  runs: 100,
  property: fc.asyncProperty(
    fc.array(fc.constantFrom<Work>('value', 'value', 'rejects', 'throws', 'hang'), {
      maxLength: 6,
    }),
    fc.oneof(
      fc.constant<Consume>({ how: 'all' }),
      fc.nat(4).map((after): Consume => ({ how: 'break', after })),
      fc.nat(4).map((after): Consume => ({ how: 'cancel', after })),
    ),
    fc.oneof({ weight: 3, arbitrary: numbers(1, 2, 16, Number.POSITIVE_INFINITY) }, optionValue),
    fc.constantFrom('input', 'completion'),
    async (kinds, consume, concurrency, order) => {
      const verdict = new Verdict();
      const { fns, started, ended } = makeWork(kinds);
      let closed = false;
      function* items() {
        try {
          for (let i = 0; i < kinds.length; i++) yield i;
        } finally {
          closed = true;
        }
      }
      const controller = new AbortController();
      const valid =
        concurrency.k === 'number' &&
        concurrency.v >= 1 &&
        (Number.isInteger(concurrency.v) || concurrency.v === Number.POSITIVE_INFINITY);
      const iterate = async () => {
        const seen: unknown[] = [];
        const it = map(items(), (i, signal) => (fns[i] as (s: AbortSignal) => unknown)(signal), {
          concurrency: buildOption(concurrency) as number,
          order,
          signal: controller.signal,
        });
        for await (const value of it) {
          seen.push(value);
          if (consume.how !== 'all' && seen.length > consume.after) {
            if (consume.how === 'break') break;
            controller.abort(new Error('cancelled from outside'));
          }
        }
        return seen;
      };
      const run = watch(iterate);
      await turns(10);
      let outcome = run.current ?? (await run.wait(1));
      if (outcome.status === 'unsettled') {
        // Hanging work keeps it open: cancel from outside.
        controller.abort(new Error('cancelled from outside'));
        outcome = await run.wait(loopBound);
      }
      if (!valid) {
        verdict.expect(
          outcome.status === 'rejected' && isEngineError(outcome.reason, ...VALIDATION),
          () => `map with concurrency ${describe(buildOption(concurrency))} ${show(outcome)}`,
        );
      } else {
        verdict.expect(
          outcome.status !== 'unsettled',
          'the iteration did not end within the bound',
        );
        verdict.expect(
          closed || started.size === 0,
          () => `the iteration ${show(outcome)}, but the input iterator was left open`,
        );
        const loose = [...started].filter((i) => !ended.has(i));
        verdict.expect(
          loose.length === 0,
          () => `the iteration ended while work ${loose.join(', ')} still ran`,
        );
      }
      await turns();
      for (const stray of takeStrays()) verdict.fail(`in the process: ${stray}`);
      verdict.done();
    },
  ),
};

export const properties = [combinatorProperty, mapProperty];
