// Arbitrary options for `run` and `map`: an invalid option is refused with a validation code
// before anything runs; a valid one is honoured (a limit of Infinity, 2³¹ or 2⁵³ ms never
// fires during a 20 ms task; a throwing callback fails its call, not the process); every call
// settles, leaves no listener on the caller's signal and no progress after its end.
import { getEventListeners } from 'node:events';
import { mapBatched } from '@tandem/workers/internal';
import fc from 'fast-check';
import {
  buildOption,
  buildOptions,
  CALLBACK_MESSAGE,
  isDuration,
  type OptionValue,
  optionsOf,
} from '../support/arbitraries.ts';
import { attempt, type Outcome, turns } from '../support/bound.ts';
import { describe, isEngineError, show, VALIDATION, type Verdict } from '../support/judge.ts';
import { counter, destroySharedPool, poolCase } from '../support/pool-case.ts';
import type { FuzzProperty } from '../support/property.ts';

/** How the options object itself is passed. */
type Container = 'absent' | 'object' | 'proxy' | 'frozen' | 'null' | 'string' | 'throwingGetter';
const container = fc.constantFrom<Container>(
  'object',
  'object',
  'object',
  'proxy',
  'frozen',
  'absent',
  'null',
  'string',
  'throwingGetter',
);

const GETTER_ERROR = new Error('thrown by an options getter');

function wrap(kind: Container, options: Record<string, unknown>): unknown {
  switch (kind) {
    case 'absent':
      return undefined;
    case 'object':
      return options;
    case 'proxy':
      return new Proxy(options, {});
    case 'frozen':
      return Object.freeze(options);
    case 'null':
      return null;
    case 'string':
      return 'options';
    case 'throwingGetter':
      return Object.defineProperty({ ...options }, 'signal', {
        enumerable: true,
        get() {
          throw GETTER_ERROR;
        },
      });
  }
}

/** A limit shorter than this may cut a 20 ms task short; a longer one must not. */
const SHORT = 2_000;

function isSignal(v: OptionValue | undefined) {
  return v === undefined || v.k === 'signal';
}
function isCallback(v: OptionValue | undefined) {
  return v === undefined || v.k === 'function';
}
function throwsCallback(v: OptionValue | undefined) {
  return v?.k === 'function' && v.throws;
}
function short(...limits: (OptionValue | undefined)[]) {
  return limits.some((v) => v?.k === 'number' && v.v < SHORT);
}

/**
 * Judges a call that the model says is invalid: refused with a validation code, or (checks
 * may come in any order) with the reason of a signal that was aborted before the call.
 */
function judgeRefused(
  verdict: Verdict,
  outcome: Outcome,
  why: string,
  signal: AbortSignal | undefined,
) {
  const refused = outcome.status === 'rejected' && isEngineError(outcome.reason, ...VALIDATION);
  const aborted =
    signal?.aborted === true && outcome.status === 'rejected' && outcome.reason === signal.reason;
  verdict.expect(
    refused || aborted,
    () => `${why}: the call ${show(outcome)}, not ${VALIDATION.join(' / ')}`,
  );
}

const RUN_KEYS = ['signal', 'timeout', 'deadline', 'transfer', 'onProgress'] as const;

const run: FuzzProperty = {
  name: 'run() options: invalid ones refused up front, valid ones honoured, every call settles',
  runs: 50,
  property: fc.asyncProperty(optionsOf(RUN_KEYS), container, (values, kind) =>
    poolCase(async (pool, verdict) => {
      const runs = counter();
      const options = buildOptions(values);
      const signal = options.signal instanceof AbortSignal ? options.signal : undefined;
      let settled = false;
      let lateProgress = 0;
      let progressCalls = 0;
      const callback = options.onProgress;
      if (typeof callback === 'function') {
        options.onProgress = (value: unknown) => {
          progressCalls++;
          if (settled) lateProgress++;
          return (callback as (v: unknown) => unknown)(value);
        };
      }
      const passed = wrap(kind, options);
      const outcome = await attempt(() =>
        pool.run('hold', { counter: runs, ms: 20, progress: 2 }, passed as never),
      );
      settled = true;
      const n = Atomics.load(runs, 0);

      // Absent or a string, the options are not read: only a passed object is judged.
      const read = kind === 'object' || kind === 'proxy' || kind === 'frozen';
      const problems = [
        read && !isSignal(values.signal) && 'signal is not an AbortSignal',
        read && !isDuration(values.timeout) && 'timeout is not a duration',
        read && !isDuration(values.deadline) && 'deadline is not a duration',
        read && !isCallback(values.onProgress) && 'onProgress is not a function',
        kind === 'null' && 'options is null',
      ].filter((p) => p !== false);
      if (kind === 'throwingGetter') {
        verdict.expect(
          outcome.status === 'rejected' &&
            (outcome.reason === GETTER_ERROR || isEngineError(outcome.reason, ...VALIDATION)),
          () => `options with a throwing getter: the call ${show(outcome)}`,
        );
      } else if (problems.length > 0) {
        judgeRefused(verdict, outcome, problems.join(', '), signal);
        verdict.expect(n === 0, `an invalid call ran its task ${n} times`);
      } else if (kind !== 'absent' && kind !== 'string') {
        judgeValidRun(verdict, values, signal, outcome, n);
      } else {
        verdict.expect(
          outcome.status === 'fulfilled' ||
            (outcome.status === 'rejected' && isEngineError(outcome.reason, ...VALIDATION)),
          () => `options ${kind}: the call ${show(outcome)}`,
        );
      }
      verdict.expect(
        progressCalls <= 2,
        `onProgress was called ${progressCalls} times for 2 steps`,
      );
      if (signal !== undefined) {
        const left = getEventListeners(signal, 'abort').length;
        verdict.expect(left === 0, `${left} abort listeners left on the caller's signal`);
      }
      await turns();
      verdict.expect(
        lateProgress === 0,
        `onProgress was called ${lateProgress} times after the call settled`,
      );
      return undefined;
    }),
  ),
};

function judgeValidRun(
  verdict: Verdict,
  values: Partial<Record<(typeof RUN_KEYS)[number], OptionValue>>,
  signal: AbortSignal | undefined,
  outcome: Outcome,
  runs: number,
) {
  const transfer = values.transfer;
  const transferIsOdd = transfer !== undefined && transfer.k !== 'boolean';
  if (
    transferIsOdd &&
    outcome.status === 'rejected' &&
    isEngineError(outcome.reason, ...VALIDATION)
  ) {
    return; // refusing a non-boolean `transfer` is as good as reading it as a boolean
  }
  if (signal?.aborted) {
    verdict.expect(
      outcome.status === 'rejected' && outcome.reason === signal.reason,
      () => `with an aborted signal the call ${show(outcome)}, not with signal.reason`,
    );
    verdict.expect(runs === 0, `a call with an aborted signal ran ${runs} times`);
    return;
  }
  verdict.expect(runs <= 1, `the task ran ${runs} times`);
  const mayTimeOut = short(values.timeout, values.deadline);
  const timedOut =
    mayTimeOut &&
    outcome.status === 'rejected' &&
    isEngineError(outcome.reason, 'ERR_TANDEM_TASK_TIMEOUT');
  if (throwsCallback(values.onProgress)) {
    const reason = (outcome as { reason?: { cause?: { message?: unknown } } }).reason;
    verdict.expect(
      timedOut ||
        (outcome.status === 'rejected' &&
          isEngineError(reason, 'ERR_TANDEM_CALLBACK_FAILED') &&
          reason?.cause?.message === CALLBACK_MESSAGE),
      () =>
        `a throwing onProgress: the call ${show(outcome)}, not ERR_TANDEM_CALLBACK_FAILED with the callback's error as cause`,
    );
    return;
  }
  verdict.expect(
    timedOut || (outcome.status === 'fulfilled' && outcome.value === 'held'),
    () =>
      `timeout ${describe(values.timeout && buildOption(values.timeout))}, deadline ${describe(values.deadline && buildOption(values.deadline))}: a 20 ms task ${show(outcome)}`,
  );
}

/** What `map` receives as its inputs. */
type Inputs = 'array' | 'generator' | 'null' | 'number' | 'object';
const inputs = fc.constantFrom<Inputs>(
  'array',
  'array',
  'array',
  'generator',
  'null',
  'number',
  'object',
);

const MAP_KEYS = ['batch', 'settle', 'signal', 'deadline', 'onProgress'] as const;

const map: FuzzProperty = {
  name: 'map() options and inputs: invalid ones refused, valid ones honoured, nothing left running',
  runs: 30,
  property: fc.asyncProperty(optionsOf(MAP_KEYS), inputs, (values, given) =>
    poolCase(async (pool, verdict) => {
      const runs = counter(3);
      const items = [0, 1, 2].map((index) => ({ counter: runs, index, ms: 5, progress: 0 }));
      const passed =
        given === 'array'
          ? items
          : given === 'generator'
            ? (function* () {
                yield* items;
              })()
            : given === 'null'
              ? null
              : given === 'number'
                ? 5
                : {};
      const options = buildOptions(values);
      const signal = options.signal instanceof AbortSignal ? options.signal : undefined;
      const outcome = await attempt(() =>
        mapBatched(pool, 'hold', passed as never, options as never),
      );
      const batch = values.batch;
      const problems = [
        batch !== undefined &&
          !(batch.k === 'number' && Number.isInteger(batch.v) && batch.v >= 1) &&
          'batch is not an integer >= 1',
        !isSignal(values.signal) && 'signal is not an AbortSignal',
        !isDuration(values.deadline) && 'deadline is not a duration',
        !isCallback(values.onProgress) && 'onProgress is not a function',
        (given === 'null' || given === 'number' || given === 'object') &&
          `inputs is ${given}, not iterable`,
      ].filter((p) => p !== false);
      const counts = [0, 1, 2].map((i) => Atomics.load(runs, i));
      verdict.expect(
        counts.every((c) => c <= 1),
        `items ran ${JSON.stringify(counts)} times`,
      );
      if (problems.length > 0) {
        judgeRefused(verdict, outcome, problems.join(', '), signal);
        verdict.expect(
          counts.every((c) => c === 0),
          `an invalid map ran items ${JSON.stringify(counts)} times`,
        );
      } else {
        judgeValidMap(verdict, values, signal, outcome);
      }
      if (signal !== undefined) {
        const left = getEventListeners(signal, 'abort').length;
        verdict.expect(left === 0, `${left} abort listeners left on the caller's signal`);
      }
      return undefined;
    }),
  ),
};

function judgeValidMap(
  verdict: Verdict,
  values: Partial<Record<(typeof MAP_KEYS)[number], OptionValue>>,
  signal: AbortSignal | undefined,
  outcome: Outcome,
) {
  if (signal?.aborted) {
    verdict.expect(
      outcome.status === 'rejected' && outcome.reason === signal.reason,
      () => `with an aborted signal map ${show(outcome)}, not with signal.reason`,
    );
    return;
  }
  const mayTimeOut = short(values.deadline);
  const isTimeout = (reason: unknown) =>
    mayTimeOut && isEngineError(reason, 'ERR_TANDEM_TASK_TIMEOUT');
  if (outcome.status === 'rejected' && isTimeout(outcome.reason)) return;
  if (throwsCallback(values.onProgress)) {
    const reason = (outcome as { reason?: { message?: unknown; cause?: { message?: unknown } } })
      .reason;
    verdict.expect(
      outcome.status === 'rejected' &&
        (reason?.message === CALLBACK_MESSAGE ||
          (isEngineError(reason, 'ERR_TANDEM_CALLBACK_FAILED') &&
            reason?.cause?.message === CALLBACK_MESSAGE)),
      () => `map with a throwing onProgress ${show(outcome)}`,
    );
    return;
  }
  const settle = values.settle;
  if (settle !== undefined && settle.k !== 'boolean') {
    // A non-boolean `settle` may be refused, or read as truthy or falsy.
    if (outcome.status === 'rejected' && isEngineError(outcome.reason, ...VALIDATION)) return;
  }
  const settled = settle !== undefined && Boolean(buildOption(settle));
  const want = settled
    ? [0, 1, 2].map(() => ({ status: 'fulfilled', value: 'held' }))
    : ['held', 'held', 'held'];
  const got = outcome.status === 'fulfilled' ? outcome.value : undefined;
  const timedOutItems =
    Array.isArray(got) && got.some((g: { reason?: unknown }) => isTimeout(g?.reason));
  verdict.expect(
    timedOutItems || JSON.stringify(got) === JSON.stringify(want),
    () => `map of three 5 ms tasks ${show(outcome)}; expected ${JSON.stringify(want)}`,
  );
}

export const properties = [run, map];
export const teardown = destroySharedPool;
