// Arbitrary options for sleep / timeout / moveOnAfter / scope, each run inside an enclosing
// scope that is cancelled at the end: invalid options are refused with a validation code; a
// short limit fires; a long one (60 s, 2³¹ ms, 2⁵³ ms, Infinity) has not fired after 30 ms of
// real time; whatever the options, cancelling the enclosing scope ends the call (an explicit
// signal joins the scope's, it does not replace it); nothing is left behind.
import { getEventListeners } from 'node:events';
import { moveOnAfter, scope, sleep, timeout } from '@tandem/core';
import { clock } from '@tandem/workers';
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
  isEngineError,
  show,
  VALIDATION,
  Verdict,
} from '../../../../workers/test/fuzz/support/judge.ts';
import type { FuzzProperty } from '../../../../workers/test/fuzz/support/property.ts';
import { loopBound } from '../../../../workers/test/fuzz/support/settings.ts';

/** A duration, mostly meaningful (edges included), sometimes hostile. */
const duration = fc.oneof(
  {
    weight: 2,
    arbitrary: numbers(
      -1,
      0,
      1,
      5,
      60_000,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 53,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ),
  },
  optionValue,
);
/** The signal of the options: none, ours (aborted or not), or a hostile value. */
const signal = fc.oneof(
  { weight: 3, arbitrary: fc.constant<OptionValue | undefined>(undefined) },
  { weight: 3, arbitrary: fc.boolean().map((aborted): OptionValue => ({ k: 'signal', aborted })) },
  optionValue,
);
type Container = 'object' | 'absent' | 'null' | 'proxy';
const container = fc.constantFrom<Container>(
  'object',
  'object',
  'object',
  'absent',
  'null',
  'proxy',
);

function wrap(kind: Container, options: Record<string, unknown>): unknown {
  return kind === 'object'
    ? options
    : kind === 'proxy'
      ? new Proxy(options, {})
      : kind === 'null'
        ? null
        : undefined;
}

const SHORT = 5;
const LONG = 60_000;
/** Real time a long limit must survive. */
const WINDOW = 30;

const isNumber = (v: OptionValue | undefined): v is { k: 'number'; v: number } =>
  v?.k === 'number' && !Number.isNaN(v.v);
const isSignal = (v: OptionValue | undefined) => v === undefined || v.k === 'signal';
const aborted = (v: OptionValue | undefined) => v?.k === 'signal' && v.aborted;

type Body = 'hang' | 'quick' | 'throws';
const body = fc.constantFrom<Body>('hang', 'hang', 'quick', 'throws');
const OWN_ERROR = new Error('thrown by the body');

function runBody(kind: Body, signal: AbortSignal, calls: { n: number }): Promise<unknown> | string {
  calls.n++;
  if (kind === 'quick') return 'done';
  if (kind === 'throws') return Promise.reject(OWN_ERROR);
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/**
 * Runs `start` inside an enclosing scope and judges it: refused when `problems`; otherwise
 * `expect` judges the end, given whether the limit is short, long, or already expired. Then
 * the enclosing scope is cancelled: the call must end with that reason (if still pending).
 */
async function inScope(
  verdict: Verdict,
  what: string,
  problems: string[],
  limit: number | undefined,
  start: () => unknown,
  settledEarly: (outcome: Outcome) => boolean,
  controllers: AbortController[],
): Promise<void> {
  const cancel = new Error('the enclosing scope was cancelled');
  const enclosing = settleWithin(
    scope(async (outer) => {
      const call = watch(start);
      if (problems.length > 0) {
        const outcome = await call.wait(loopBound);
        if (outcome.status === 'unsettled') outer.cancel(cancel);
        verdict.expect(
          outcome.status === 'rejected' && isEngineError(outcome.reason, ...VALIDATION),
          () => `${what} (${problems.join(', ')}) ${show(outcome)}, not ${VALIDATION.join(' / ')}`,
        );
        return;
      }
      if (limit !== undefined && limit <= SHORT) {
        const outcome = await call.wait(loopBound);
        if (outcome.status === 'unsettled') outer.cancel(cancel);
        verdict.expect(settledEarly(outcome), () => `${what} ${show(outcome)}`);
        return;
      }
      await pause(WINDOW);
      const early = call.current;
      if (early !== undefined) {
        verdict.expect(settledEarly(early), () => `${what} ${show(early)}`);
        return;
      }
      outer.cancel(cancel);
      const outcome = await call.wait(loopBound);
      verdict.expect(
        outcome.status === 'rejected' &&
          (outcome.reason === cancel || isEngineError(outcome.reason, 'ERR_TANDEM_CANCELLED')),
        () =>
          `${what}: still pending after ${WINDOW} ms, then the enclosing scope was cancelled, and it ${show(outcome)}`,
      );
    }),
    3 * loopBound,
  );
  // The enclosing scope joins its children: a call that ignores the cancel keeps it open.
  const closed = await enclosing;
  verdict.expect(closed.status === 'fulfilled', () => `the enclosing scope ${show(closed)}`);
  for (const controller of controllers) {
    controller.abort(new Error('cleaning up'));
    verdict.expect(
      getEventListeners(controller.signal, 'abort').length === 0,
      `${what}: abort listeners left on the caller's signal`,
    );
  }
  await turns();
  for (const stray of takeStrays()) verdict.fail(`in the process: ${stray}`);
}

const sleepProperty: FuzzProperty = {
  name: 'sleep(ms, options): refused, resolved, or pending until the enclosing scope is cancelled',
  runs: 40,
  property: fc.asyncProperty(duration, signal, container, async (ms, sig, kind) => {
    const verdict = new Verdict();
    const controllers: AbortController[] = [];
    const options: Record<string, unknown> = {};
    if (sig !== undefined) options.signal = buildOption(sig, controllers);
    const problems = [
      !(isNumber(ms) && ms.v >= 0) && 'ms is not a duration',
      kind !== 'absent' && kind !== 'null' && !isSignal(sig) && 'signal is not an AbortSignal',
      kind === 'null' && 'options is null',
    ].filter((p): p is string => p !== false);
    const what = `sleep(${String(buildOption(ms))}, ${kind} ${sig?.k ?? ''})`;
    const preAborted = kind !== 'absent' && kind !== 'null' && aborted(sig);
    const limit = isNumber(ms) ? ms.v : undefined;
    await inScope(
      verdict,
      what,
      problems,
      preAborted ? 0 : limit,
      () => sleep(buildOption(ms) as number, wrap(kind, options) as never),
      (outcome) =>
        preAborted
          ? outcome.status === 'rejected' &&
            (outcome.reason as Error)?.message === 'aborted before the call'
          : (limit ?? 0) < LONG && outcome.status === 'fulfilled',
      controllers,
    );
    verdict.done();
  }),
};

const timeoutProperty: FuzzProperty = {
  name: 'timeout / moveOnAfter(ms, fn, options): expire when due, never early, end with the enclosing scope',
  runs: 40,
  property: fc.asyncProperty(
    fc.constantFrom('timeout', 'moveOnAfter'),
    duration,
    body,
    signal,
    (which, ms, kind, sig) => {
      const verdict = new Verdict();
      const controllers: AbortController[] = [];
      const options: Record<string, unknown> = {};
      if (sig !== undefined) options.signal = buildOption(sig, controllers);
      const problems = [
        !isNumber(ms) && 'ms is not a number',
        !isSignal(sig) && 'signal is not an AbortSignal',
      ].filter((p): p is string => p !== false);
      const calls = { n: 0 };
      const fn = (s: { signal: AbortSignal }) => runBody(kind, s.signal, calls);
      const limit = isNumber(ms) ? ms.v : undefined;
      const expired = (outcome: Outcome) =>
        which === 'timeout'
          ? outcome.status === 'rejected' && isEngineError(outcome.reason, 'ERR_TANDEM_TIMEOUT')
          : outcome.status === 'fulfilled' && outcome.value === undefined;
      const what = `${which}(${String(limit)}, ${kind}, signal ${sig?.k ?? 'none'})`;
      return inScope(
        verdict,
        what,
        problems,
        aborted(sig) ? 0 : limit,
        () =>
          (which === 'timeout' ? timeout : moveOnAfter)(
            buildOption(ms) as number,
            fn,
            options as never,
          ),
        (outcome) => {
          if (aborted(sig)) {
            return (
              (outcome.status === 'rejected' &&
                (outcome.reason as Error)?.message === 'aborted before the call') ||
              ((limit ?? 1) <= 0 && expired(outcome))
            );
          }
          // Under 1 ms the deadline may be "now" already: expired before fn, or not.
          if ((limit ?? 1) < 1 && expired(outcome)) return (limit ?? 1) > 0 || calls.n === 0;
          if ((limit ?? 1) <= 0) return false;
          if (kind === 'quick') return outcome.status === 'fulfilled' && outcome.value === 'done';
          if (kind === 'throws')
            return outcome.status === 'rejected' && outcome.reason === OWN_ERROR;
          return (limit ?? 0) < LONG && expired(outcome);
        },
        controllers,
      ).then(() => verdict.done());
    },
  ),
};

const SCOPE_KEYS = ['timeout', 'deadline', 'abortGrace'] as const;

const scopeProperty: FuzzProperty = {
  name: 'scope(options, body): refused, expired when due, or ended by the enclosing scope; errors coded',
  runs: 40,
  property: fc.asyncProperty(
    fc.record(
      { timeout: duration, deadline: duration, abortGrace: duration },
      { requiredKeys: [] },
    ),
    signal,
    body,
    fc.constantFrom('options first', 'options first', 'options first', 'body first'),
    (values, sig, kind, order) => {
      const verdict = new Verdict();
      const controllers: AbortController[] = [];
      const options: Record<string, unknown> = {};
      for (const key of SCOPE_KEYS) {
        const v = values[key];
        if (v === undefined) continue;
        const built = buildOption(v);
        // `deadline` is absolute on clock(): the hostile value is taken from now.
        options[key] =
          key === 'deadline' && typeof built === 'number' ? clock().now() + built : built;
      }
      if (sig !== undefined) options.signal = buildOption(sig, controllers);
      const number = (v: OptionValue | undefined) => v === undefined || isNumber(v);
      const problems = [
        !number(values.timeout) && 'timeout is not a number',
        !number(values.deadline) && 'deadline is not a number',
        values.abortGrace !== undefined &&
          !(isNumber(values.abortGrace) && values.abortGrace.v >= 0) &&
          'abortGrace is not a duration',
        !isSignal(sig) && 'signal is not an AbortSignal',
        order === 'body first' && 'scope(body, options): the options would be ignored',
      ].filter((p): p is string => p !== false);
      const limits = [values.timeout, values.deadline].flatMap((v) => (isNumber(v) ? [v.v] : []));
      const limit = limits.length > 0 ? Math.min(...limits) : undefined;
      const calls = { n: 0 };
      const fn = (s: { signal: AbortSignal }) => runBody(kind, s.signal, calls);
      const what = `scope(${JSON.stringify(values)}, ${kind}, signal ${sig?.k ?? 'none'}, ${order})`;
      return inScope(
        verdict,
        what,
        problems,
        aborted(sig) ? 0 : limit,
        () =>
          order === 'body first'
            ? (scope as (...a: unknown[]) => unknown)(fn, options)
            : scope(options, fn),
        (outcome) => {
          const reason = outcome.status === 'rejected' ? outcome.reason : undefined;
          const expired = isEngineError(reason, 'ERR_TANDEM_TIMEOUT');
          if (aborted(sig)) {
            return (
              (reason as Error)?.message === 'aborted before the call' ||
              ((limit ?? 1) <= 0 && expired)
            );
          }
          if ((limit ?? 1) < 1 && expired) return (limit ?? 1) > 0 || calls.n === 0;
          if ((limit ?? 1) <= 0) return false;
          if (kind === 'quick') return outcome.status === 'fulfilled' && outcome.value === 'done';
          if (kind === 'throws') {
            const errors = (reason as { errors?: unknown[] })?.errors;
            return isEngineError(reason, 'ERR_TANDEM_TASK_GROUP') && errors?.[0] === OWN_ERROR;
          }
          return (limit ?? 0) < LONG && expired;
        },
        controllers,
      ).then(() => verdict.done());
    },
  ),
};

export const properties = [sleepProperty, timeoutProperty, scopeProperty];
