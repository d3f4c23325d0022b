// Adaptive limiters with a total over keys, under programs of acquisitions, outcomes (overloads,
// Retry-After, hostile errors), key pauses and global pauses, with callbacks that throw or
// answer nonsense and hostile values for `total` and `adaptive.decrease`. The property: bad
// options are refused with a code; no key ever holds more than `concurrency`, the keys
// together never more than `total`; a key paused until resumed grants nothing; every key's
// limit stays an integer in [min, concurrency]; afterwards everything is granted and given
// back, onIdle resolves and nothing is left held or waiting.
import { type Limiter, limiter } from '@tandem/core';
import fc from 'fast-check';
import {
  buildOption,
  numbers,
  type OptionValue,
  optionValue,
} from '../../../../workers/test/fuzz/support/arbitraries.ts';
import { attempt, settleWithin, turns } from '../../../../workers/test/fuzz/support/bound.ts';
import { takeStrays } from '../../../../workers/test/fuzz/support/guard.ts';
import {
  isEngineError,
  show,
  VALIDATION,
  Verdict,
} from '../../../../workers/test/fuzz/support/judge.ts';
import type { FuzzProperty } from '../../../../workers/test/fuzz/support/property.ts';

const KEYS = ['a', 'b', 'c'] as const;
type Key = (typeof KEYS)[number];
type Callback = 'default' | 'throws' | 'nonsense' | 'always';

interface Case {
  concurrency: number;
  min: number;
  total: OptionValue | undefined;
  decrease: OptionValue | undefined;
  isOverload: Callback;
  retryAfter: Callback;
}

const limiterCase: fc.Arbitrary<Case> = fc.record({
  concurrency: fc.constantFrom(1, 2, 4),
  min: fc.constantFrom(1, 2),
  total: fc.option(fc.oneof({ weight: 4, arbitrary: numbers(1, 3, Infinity) }, optionValue), {
    nil: undefined,
  }),
  decrease: fc.option(fc.oneof({ weight: 4, arbitrary: numbers(0.1, 0.5, 0.9) }, optionValue), {
    nil: undefined,
  }),
  isOverload: fc.constantFrom<Callback>('default', 'default', 'throws', 'nonsense', 'always'),
  retryAfter: fc.constantFrom<Callback>('default', 'default', 'throws', 'nonsense', 'always'),
});

const isNumber = (v: OptionValue | undefined): v is { k: 'number'; v: number } => v?.k === 'number';

/** Why the case's options must be refused (empty: they must be taken). */
function problems(c: Case): string[] {
  const { total, decrease } = c;
  // `null` may mean the default, as `undefined` does, or be refused: either is fine.
  const totalOk =
    total === undefined ||
    total.k === 'null' ||
    (isNumber(total) &&
      total.v >= 1 &&
      (Number.isInteger(total.v) || total.v === Number.POSITIVE_INFINITY));
  const decreaseOk =
    decrease === undefined ||
    decrease.k === 'null' ||
    (isNumber(decrease) && decrease.v > 0 && decrease.v < 1);
  return [
    !totalOk && 'total',
    !decreaseOk && 'adaptive.decrease',
    c.min > c.concurrency && 'adaptive.min',
  ].filter((p): p is string => p !== false);
}

function callback(kind: Callback, answer: unknown): unknown {
  if (kind === 'default') return undefined;
  if (kind === 'throws')
    return () => {
      throw new Error('a fuzz callback threw');
    };
  return kind === 'nonsense' ? () => 'nonsense' : () => answer;
}

function build(c: Case): Record<string, unknown> {
  const adaptive: Record<string, unknown> = { min: c.min };
  if (c.decrease !== undefined) adaptive.decrease = buildOption(c.decrease);
  const options: Record<string, unknown> = { concurrency: c.concurrency, adaptive };
  if (c.total !== undefined) options.total = buildOption(c.total);
  const isOverload = callback(c.isOverload, true);
  const retryAfter = callback(c.retryAfter, 2);
  if (isOverload) options.isOverload = isOverload;
  if (retryAfter) options.retryAfter = retryAfter;
  return options;
}

type Failure = 'overload' | 'retryAfter' | 'plain' | 'hostile';
type Op =
  | { op: 'acquire'; key: Key; weight: 1 | 2 }
  | { op: 'release' | 'dispose'; which: number }
  | { op: 'fail'; which: number; error: Failure }
  | { op: 'pauseKey'; key: Key; ms: number }
  | { op: 'resumeKey'; key: Key }
  | { op: 'pause' | 'resume' | 'tick' };

const key = fc.constantFrom(...KEYS);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('acquire' as const),
      key,
      weight: fc.constantFrom<1 | 2>(1, 1, 2),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constantFrom('release' as const, 'release' as const, 'dispose' as const),
      which: fc.nat(6),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('fail' as const),
      which: fc.nat(6),
      error: fc.constantFrom<Failure>('overload', 'retryAfter', 'plain', 'hostile'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('pauseKey' as const),
      key,
      ms: fc.constantFrom(0, 3, Infinity, Infinity),
    }),
  },
  fc.record({ op: fc.constant('resumeKey' as const), key }),
  fc.constantFrom<Op>({ op: 'pause' }, { op: 'resume' }),
  { weight: 3, arbitrary: fc.constant<Op>({ op: 'tick' }) },
);

function failure(kind: Failure): unknown {
  switch (kind) {
    case 'overload':
      return Object.assign(new Error('busy'), { status: 503 });
    case 'retryAfter':
      return Object.assign(new Error('later'), { status: 429, retryAfter: 2 });
    case 'plain':
      return new Error('plain');
    case 'hostile':
      return new Proxy(
        {},
        {
          get() {
            throw new Error('a hostile error');
          },
        },
      );
  }
}

interface Held {
  key: Key;
  weight: number;
  permit: { release(): void; fail(e: unknown): void; [Symbol.dispose](): void };
}

const program: FuzzProperty = {
  name: 'adaptive limiter programs: per-key and total caps held, endless key pauses hold, limits in range',
  runs: 100,
  property: fc.asyncProperty(limiterCase, fc.array(op, { maxLength: 24 }), async (c, ops) => {
    const verdict = new Verdict();
    const made = await attempt(() => limiter(build(c) as never));
    const expected = problems(c);
    const nulls = [c.total, c.decrease].some((v) => v?.k === 'null');
    if (made.status === 'rejected' && nulls && isEngineError(made.reason, ...VALIDATION)) {
      return verdict.done();
    }
    if (expected.length > 0 || made.status !== 'fulfilled') {
      verdict.expect(
        expected.length > 0 &&
          made.status === 'rejected' &&
          isEngineError(made.reason, ...VALIDATION),
        () =>
          `limiter(${JSON.stringify(c)}) ${show(made)}; expected problems: ${expected.join(', ') || 'none'}`,
      );
      return verdict.done();
    }
    const l = (made as { value: Limiter }).value;
    const total = isNumber(c.total) ? c.total.v : Number.POSITIVE_INFINITY;
    const held: Held[] = [];
    const tally = new Map<Key, number>();
    let sum = 0;
    // A key paused until resumed may grant only what was asked after its resume.
    const endless = new Map<Key, number>(); // key → epoch of its endless pause; absent if none
    let epoch = 0;
    const pending: Promise<unknown>[] = [];

    const acquire = (k: Key, weight: number) => {
      const askedIn = endless.get(k);
      const p = l.acquire(undefined, { key: k, weight }).then((permit) => {
        const now = (tally.get(k) ?? 0) + weight;
        tally.set(k, now);
        sum += weight;
        verdict.expect(
          now <= c.concurrency,
          `key ${k} holds ${now} > concurrency ${c.concurrency}`,
        );
        verdict.expect(sum <= total, `the keys hold ${sum} > total ${total}`);
        verdict.expect(
          askedIn === undefined || endless.get(k) !== askedIn,
          `key ${k} granted a permit during the endless pause it was asked in`,
        );
        held.push({ key: k, weight, permit });
      });
      pending.push(
        p.catch((e) =>
          verdict.expect(isEngineError(e, ...VALIDATION), `acquire rejected with ${String(e)}`),
        ),
      );
    };
    const giveBack = (which: number, how: (h: Held) => void) => {
      const h = held.splice(which % Math.max(1, held.length), 1)[0];
      if (h === undefined) return;
      tally.set(h.key, (tally.get(h.key) ?? 0) - h.weight);
      sum -= h.weight;
      how(h);
    };

    for (const step of ops) {
      if (step.op === 'tick') await turns(1);
      else if (step.op === 'acquire') acquire(step.key, step.weight);
      else if (step.op === 'release') giveBack(step.which, (h) => h.permit.release());
      else if (step.op === 'dispose') giveBack(step.which, (h) => h.permit[Symbol.dispose]());
      else if (step.op === 'fail') giveBack(step.which, (h) => h.permit.fail(failure(step.error)));
      else if (step.op === 'pauseKey') {
        l.pauseKey(step.key, step.ms);
        if (step.ms === Number.POSITIVE_INFINITY && !endless.has(step.key))
          endless.set(step.key, ++epoch);
      } else if (step.op === 'resumeKey') {
        l.resumeKey(step.key);
        endless.delete(step.key);
      } else if (step.op === 'pause') l.pause();
      else l.resume();
      for (const k of KEYS) {
        const { limit } = l.keyStats(k);
        verdict.expect(
          Number.isInteger(limit) &&
            limit >= Math.min(c.min, c.concurrency) &&
            limit <= c.concurrency,
          `key ${k}'s limit ${limit} is outside [${c.min}, ${c.concurrency}]`,
        );
      }
    }

    // Ends every pause and gives back what is granted until every acquisition has settled.
    l.resume();
    for (const k of KEYS) {
      l.resumeKey(k);
      endless.delete(k);
    }
    const all = Promise.all(pending);
    let settled = false;
    void all.then(() => {
      settled = true;
    });
    for (let round = 0; round < 200 && !settled; round++) {
      while (held.length > 0) giveBack(0, (h) => h.permit.release());
      await turns(1);
      if (round > 50) await new Promise((resolve) => setTimeout(resolve, 5)); // 2 ms pauses
    }
    verdict.expect(settled, () => `acquisitions still waiting; stats ${JSON.stringify(l.stats())}`);
    while (held.length > 0) giveBack(0, (h) => h.permit.release());
    const idle = await settleWithin(l.onIdle(), 1_000);
    verdict.expect(
      idle.status === 'fulfilled',
      () => `onIdle() ${show(idle)}; ${JSON.stringify(l.stats())}`,
    );
    const { active, waiting } = l.stats();
    verdict.expect(
      active === 0 && waiting === 0,
      `afterwards active ${active}, waiting ${waiting}`,
    );
    await turns();
    for (const stray of takeStrays()) verdict.fail(`in the process: ${stray}`);
    verdict.done();
  }),
};

export const adaptiveProperties = [program];
