// retry(fn, options) with arbitrary options: invalid ones refused with a code; valid ones
// honoured (a first backoff of a minute or more has not passed after 30 ms); every call ends
// with its value, a coded error, or the cancel of the enclosing scope.
import { retry, scope, TandemError } from '@tandem/core';
import fc from 'fast-check';
import {
  buildOption,
  numbers,
  type OptionValue,
  optionValue,
} from '../../../../workers/test/fuzz/support/arbitraries.ts';
import {
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
  VALIDATION,
  Verdict,
} from '../../../../workers/test/fuzz/support/judge.ts';
import type { FuzzProperty } from '../../../../workers/test/fuzz/support/property.ts';
import { loopBound } from '../../../../workers/test/fuzz/support/settings.ts';

const RETRY_KEYS = ['attempts', 'initial', 'factor', 'max', 'jitter', 'timeout', 'random'] as const;
type RetryValues = Partial<Record<(typeof RETRY_KEYS)[number], OptionValue>>;

const retryProperty: FuzzProperty = {
  name: 'retry(fn, options): options checked; succeeds, exhausts with RetryError, or ends with the scope',
  runs: 40,
  property: fc.asyncProperty(
    fc.record(
      {
        attempts: fc.oneof({ weight: 3, arbitrary: numbers(1, 2, 3) }, optionValue),
        initial: fc.oneof(
          { weight: 3, arbitrary: numbers(0, 1, 2 ** 31, Number.POSITIVE_INFINITY) },
          optionValue,
        ),
        factor: fc.oneof({ weight: 3, arbitrary: numbers(1, 2) }, optionValue),
        max: fc.oneof(
          { weight: 3, arbitrary: numbers(1, 2 ** 31, Number.POSITIVE_INFINITY) },
          optionValue,
        ),
        jitter: fc.oneof(
          {
            weight: 3,
            arbitrary: fc
              .constantFrom('full', 'equal', 'decorrelated', 'none')
              .map((v): OptionValue => ({ k: 'string', v })),
          },
          optionValue,
        ),
        timeout: fc.oneof(
          { weight: 3, arbitrary: numbers(1, 60_000, 2 ** 31, Number.POSITIVE_INFINITY) },
          optionValue,
        ),
        random: fc.oneof({ weight: 3, arbitrary: numbers(0, 0.5) }, optionValue),
      },
      { requiredKeys: [] },
    ),
    fc.nat(3),
    async (values: RetryValues, failures) => {
      const verdict = new Verdict();
      const v = (key: keyof RetryValues) =>
        values[key] === undefined ? undefined : buildOption(values[key]!);
      const options: Record<string, unknown> = {};
      for (const key of ['attempts', 'jitter', 'timeout'] as const)
        if (values[key]) options[key] = v(key);
      const backoff: Record<string, unknown> = {};
      for (const key of ['initial', 'factor', 'max'] as const)
        if (values[key]) backoff[key] = v(key);
      if (Object.keys(backoff).length > 0) options.backoff = backoff;
      if (values.random) {
        const r = v('random');
        options.random = typeof r === 'number' ? () => r : r;
      }
      let calls = 0;
      const fail = new Error('attempt failed');
      const fn = () => {
        calls++;
        if (calls <= failures) throw fail;
        return 'done';
      };
      const cancel = new Error('the enclosing scope was cancelled');
      const ended: { outcome: Outcome; early: boolean } = {
        outcome: { status: 'unsettled' },
        early: false,
      };
      const enclosing = await settleWithin(
        scope(async (s) => {
          const call = watch(() => retry(fn, options as never));
          await pause(30);
          ended.early = call.current !== undefined;
          if (call.current === undefined) s.cancel(cancel);
          ended.outcome = await call.wait(loopBound);
        }),
        3 * loopBound,
      );
      const { outcome } = ended;
      verdict.expect(
        enclosing.status === 'fulfilled',
        () => `the enclosing scope ${show(enclosing)}`,
      );
      const reason = outcome.status === 'rejected' ? outcome.reason : undefined;
      verdict.expect(
        outcome.status !== 'unsettled',
        () => `retry(${JSON.stringify(values)}) did not settle after the scope was cancelled`,
      );
      verdict.expect(
        outcome.status !== 'rejected' ||
          reason === cancel ||
          (TandemError.isTandemError(reason) &&
            (reason as { code?: string }).code?.startsWith('ERR_TANDEM_') === true),
        () =>
          `retry(${JSON.stringify(values)}) ${show(outcome)}: neither the cancel nor a coded error`,
      );
      const attempts = values.attempts?.k === 'number' ? values.attempts.v : 3;
      // With no jitter, a first backoff of a minute or more cannot have passed in 30 ms.
      const num = (x: unknown, fallback: number) => (typeof x === 'number' ? x : fallback);
      const delay = Math.min(num(v('initial'), 100), num(v('max'), Number.POSITIVE_INFINITY));
      if (
        failures > 0 &&
        attempts > 1 &&
        !isEngineError(reason, ...VALIDATION) &&
        v('jitter') === 'none' &&
        delay >= 60_000 &&
        v('timeout') === undefined
      ) {
        verdict.expect(
          !ended.early,
          () => `retry with a first backoff of ${delay} ms ${show(outcome)} within 30 ms`,
        );
      }
      if (outcome.status === 'fulfilled') {
        verdict.expect(
          outcome.value === 'done' && calls === failures + 1 && calls <= attempts,
          () => `retry resolved ${describe(outcome)} after ${calls} calls`,
        );
      }
      if (isEngineError(reason, 'ERR_TANDEM_RETRY_EXHAUSTED')) {
        verdict.expect(
          calls === attempts || calls <= failures,
          () => `retry gave up after ${calls} calls of ${attempts}`,
        );
      }
      await turns();
      for (const stray of takeStrays()) verdict.fail(`in the process: ${stray}`);
      verdict.done();
    },
  ),
};

export const properties = [retryProperty];
