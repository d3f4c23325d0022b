// Arbitrary limiters and programs against them: runs with keys, weights and priorities
// (hostile ones too), aborts, releases, pause and resume, several in one tick. Everything runs
// inside a scope that is cancelled at the end. The property: invalid options are refused with
// a code; the concurrency cap holds; nothing is granted while paused; cancelling the scope
// ends every waiting call (an explicit signal joins the scope's, it does not replace it);
// afterwards nothing is held or waiting, onIdle resolves, no listener is left.
import { getEventListeners } from 'node:events';
import { limiter, scope } from '@tandem/core';
import fc from 'fast-check';
import {
  buildOption,
  numbers,
  type OptionValue,
  optionValue,
} from '../../../../workers/test/fuzz/support/arbitraries.ts';
import {
  attempt,
  settleWithin,
  turns,
  type Watched,
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
import { adaptiveProperties } from './limiter-adaptive.ts';

interface LimiterCase {
  concurrency?: OptionValue | undefined;
  rate?: 'none' | 'fast' | 'glacial' | OptionValue | undefined;
  maxKeys?: OptionValue | undefined;
  aging?: OptionValue | undefined;
}

const limiterCase: fc.Arbitrary<LimiterCase> = fc.record(
  {
    concurrency: fc.oneof(
      { weight: 3, arbitrary: numbers(1, 2, Number.POSITIVE_INFINITY) },
      optionValue,
    ),
    rate: fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom('none' as const, 'fast' as const, 'glacial' as const),
      },
      optionValue,
    ),
    maxKeys: fc.oneof({ weight: 3, arbitrary: numbers(1, 1000) }, optionValue),
    aging: fc.oneof(
      { weight: 3, arbitrary: numbers(1, 1000, 2 ** 31, Number.POSITIVE_INFINITY) },
      optionValue,
    ),
  },
  { requiredKeys: [] },
);

function buildLimiterOptions(c: LimiterCase): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (c.concurrency) options.concurrency = buildOption(c.concurrency);
  if (c.rate === 'fast') options.rate = { limit: 2, per: 10 };
  // One token per 2³¹ ms: a second run must wait (about 25 days), not run after 1 ms.
  else if (c.rate === 'glacial') options.rate = { limit: 1, per: 2 ** 31 };
  else if (c.rate !== undefined && c.rate !== 'none')
    options.rate = { limit: buildOption(c.rate), per: 10 };
  if (c.maxKeys) options.key = { maxKeys: buildOption(c.maxKeys) };
  if (c.aging) options.priority = { aging: buildOption(c.aging) };
  return options;
}

// `null` may mean the default, as `undefined` does, or be refused: either is fine.
const isInt = (v: OptionValue | undefined, min: number, inf = false) =>
  v === undefined ||
  v.k === 'null' ||
  (v.k === 'number' &&
    v.v >= min &&
    (Number.isInteger(v.v) || (inf && v.v === Number.POSITIVE_INFINITY)));
const isNum = (v: OptionValue | undefined, min: number, inf = false) =>
  v === undefined ||
  v.k === 'null' ||
  (v.k === 'number' &&
    v.v >= min &&
    (Number.isFinite(v.v) || (inf && v.v === Number.POSITIVE_INFINITY)));

function limiterProblems(c: LimiterCase): string[] {
  const rate = typeof c.rate === 'object' ? c.rate : undefined;
  return [
    !isInt(c.concurrency, 1, true) && 'concurrency',
    // The burst defaults to the limit, and a burst below one token never grants anything.
    rate !== undefined && !isNum(rate, 1) && 'rate.limit',
    !isInt(c.maxKeys, 1) && 'key.maxKeys',
    !isNum(c.aging, Number.MIN_VALUE, true) && 'priority.aging',
  ].filter((p): p is string => p !== false);
}

type SignalMode = 'none' | 'own' | 'aborted';
type Op =
  | {
      op: 'run';
      key: OptionValue | 'a' | 'b' | undefined;
      weight: OptionValue | undefined;
      priority: OptionValue | undefined;
      signal: SignalMode;
    }
  | { op: 'abort'; which: number }
  | { op: 'release'; which: number }
  | { op: 'pause' }
  | { op: 'resume' }
  | { op: 'tick' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('run' as const),
      key: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom<'a' | 'b' | undefined>('a', 'b', undefined) },
        optionValue,
      ),
      weight: fc.oneof(
        { weight: 4, arbitrary: fc.option(numbers(1, 2), { nil: undefined }) },
        optionValue,
      ),
      priority: fc.oneof(
        { weight: 4, arbitrary: fc.option(numbers(-1, 0, 5), { nil: undefined }) },
        optionValue,
      ),
      signal: fc.constantFrom<SignalMode>('none', 'own', 'own', 'aborted'),
    }),
  },
  { weight: 2, arbitrary: fc.nat(4).map((which): Op => ({ op: 'abort', which })) },
  { weight: 3, arbitrary: fc.nat(4).map((which): Op => ({ op: 'release', which })) },
  fc.constantFrom<Op>({ op: 'pause' }, { op: 'resume' }),
  { weight: 3, arbitrary: fc.constant<Op>({ op: 'tick' }) },
);

interface Call {
  index: number;
  key: unknown;
  weight: number;
  controller: AbortController | undefined;
  reason: unknown;
  release: () => void;
  watched: Watched;
  granted: boolean;
}

const program: FuzzProperty = {
  name: 'limiter programs: options checked, cap held, paused means paused, the scope ends every wait',
  runs: 150,
  property: fc.asyncProperty(limiterCase, fc.array(op, { maxLength: 20 }), async (c, ops) => {
    const verdict = new Verdict();
    const problems = limiterProblems(c);
    const made = await attempt(() => limiter(buildLimiterOptions(c) as never));
    const nulls = [c.concurrency, c.maxKeys, c.aging, c.rate].some(
      (v) => typeof v === 'object' && v.k === 'null',
    );
    if (nulls && made.status === 'rejected' && isEngineError(made.reason, ...VALIDATION)) {
      return verdict.done();
    }
    if (problems.length > 0) {
      verdict.expect(
        made.status === 'rejected' && isEngineError(made.reason, ...VALIDATION),
        () => `limiter(${problems.join(', ')} invalid) ${show(made)}`,
      );
      return verdict.done();
    }
    if (
      !verdict.expect(
        made.status === 'fulfilled',
        () => `limiter(${JSON.stringify(c)}) ${show(made)}`,
      )
    ) {
      return verdict.done();
    }
    const l = (made as { value: ReturnType<typeof limiter> }).value;
    const given = c.concurrency === undefined ? undefined : buildOption(c.concurrency);
    const cap = typeof given === 'number' ? given : Number.POSITIVE_INFINITY;
    const calls: Call[] = [];
    const active = new Map<unknown, number>();
    // A run asked for while paused may start only after a resume (a later epoch).
    const pause = { paused: false, epoch: 0 };
    const cancel = new Error('the enclosing scope was cancelled');

    const ended = settleWithin(
      scope(async (s) => {
        for (const step of ops) {
          if (step.op === 'tick') await turns(1);
          else if (step.op === 'pause') {
            l.pause();
            pause.paused = true;
          } else if (step.op === 'resume') {
            l.resume();
            pause.paused = false;
            pause.epoch++;
          } else if (step.op === 'abort' || step.op === 'release') {
            const call = calls[calls.length - 1 - (step.which % Math.max(1, calls.length))];
            if (call === undefined) continue;
            if (step.op === 'release') call.release();
            else if (call.controller && !call.controller.signal.aborted) {
              call.reason = new Error(`abort of call ${call.index}`);
              call.controller.abort(call.reason);
            }
          } else {
            calls.push(startRun(l, step, calls.length, active, cap, pause, verdict));
          }
        }
        // Lets the grants of this tick happen, then ends every wait through the scope.
        await turns(2);
        s.cancel(cancel);
        const outcomes = await Promise.all(calls.map((call) => call.watched.wait(1_000)));
        outcomes.forEach((outcome, i) => {
          const call = calls[i]!;
          const ok =
            (outcome.status === 'fulfilled' && call.granted) ||
            (outcome.status === 'rejected' &&
              (outcome.reason === cancel ||
                outcome.reason === call.reason ||
                isEngineError(outcome.reason, ...VALIDATION)));
          verdict.expect(
            ok,
            () =>
              `run #${i} (key ${describe(call.key)}, weight ${describe(call.weight)}) ${show(outcome)} after the scope was cancelled`,
          );
        });
      }),
      4_000,
    );
    const closed = await ended;
    verdict.expect(closed.status === 'fulfilled', () => `the enclosing scope ${show(closed)}`);
    for (const call of calls) {
      call.release();
      call.controller?.abort(new Error('cleaning up'));
      const left = call.controller ? getEventListeners(call.controller.signal, 'abort').length : 0;
      verdict.expect(left === 0, `run #${call.index} left ${left} abort listeners`);
    }
    l.resume();
    const idle = await settleWithin(l.onIdle(), 1_000);
    verdict.expect(
      idle.status === 'fulfilled',
      () => `onIdle() ${show(idle)}; stats ${JSON.stringify(l.stats())}`,
    );
    const { active: held, waiting } = l.stats();
    verdict.expect(
      held === 0 && waiting === 0,
      () => `afterwards stats() shows active ${held}, waiting ${waiting}`,
    );
    await turns();
    for (const stray of takeStrays()) verdict.fail(`in the process: ${stray}`);
    verdict.done();
  }),
};

function startRun(
  l: ReturnType<typeof limiter>,
  step: Extract<Op, { op: 'run' }>,
  index: number,
  active: Map<unknown, number>,
  cap: number,
  pause: { paused: boolean; epoch: number },
  verdict: Verdict,
): Call {
  const controller = step.signal === 'none' ? undefined : new AbortController();
  const key =
    step.key === undefined || typeof step.key === 'string' ? step.key : buildOption(step.key);
  const weight = step.weight === undefined ? 1 : (buildOption(step.weight) as number);
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const call: Call = {
    index,
    key,
    weight,
    controller,
    reason: undefined,
    release: () => release(),
    watched: watch(() => undefined),
    granted: false,
  };
  if (step.signal === 'aborted') {
    call.reason = new Error(`abort of call ${index}`);
    controller?.abort(call.reason);
  }
  const options: Record<string, unknown> = {};
  if (controller) options.signal = controller.signal;
  if (step.key !== undefined) options.key = key;
  if (step.weight !== undefined) options.weight = weight;
  if (step.priority !== undefined) options.priority = buildOption(step.priority);
  const askedWhilePaused = pause.paused;
  const epoch = pause.epoch;
  call.watched = watch(() =>
    l.run(async (signal) => {
      call.granted = true;
      verdict.expect(
        !(askedWhilePaused && pause.epoch === epoch),
        `run #${index} was asked for while the limiter was paused, and started before a resume`,
      );
      const now = (active.get(key ?? '') ?? 0) + (typeof weight === 'number' ? weight : 1);
      verdict.expect(
        now <= cap,
        `run #${index} brought key ${describe(key)} to ${now} > concurrency ${cap}`,
      );
      active.set(key ?? '', now);
      try {
        // Held until released, or until the signal the limiter hands it aborts.
        await untilReleasedOrAborted(held, signal);
      } finally {
        active.set(
          key ?? '',
          (active.get(key ?? '') ?? 0) - (typeof weight === 'number' ? weight : 1),
        );
      }
      return index;
    }, options as never),
  );
  return call;
}

/** Waits for `held`, or rejects when `signal` aborts; leaves no listener behind either way. */
function untilReleasedOrAborted(
  held: Promise<void>,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (signal === undefined) return held;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    held.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

export const properties = [program, ...adaptiveProperties];
