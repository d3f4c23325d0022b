// Hostile inputs to `pool.run` and `map`: whatever a caller sends, the call settles; a value
// structured clone takes comes back intact from a task that echoes it, and one it refuses is
// refused up front with ERR_TANDEM_UNCLONEABLE_INPUT, before any worker runs anything.
import { isDeepStrictEqual } from 'node:util';
import { mapBatched } from '@tandem/workers/internal';
import fc from 'fast-check';
import { recipe } from '../support/arbitraries.ts';
import { attempt, type Outcome } from '../support/bound.ts';
import { describe, describeSettled, isEngineError, show, type Verdict } from '../support/judge.ts';
import { counter, destroySharedPool, poolCase } from '../support/pool-case.ts';
import type { FuzzProperty } from '../support/property.ts';
import { build, cloneOf, closeOpened, opened, type Recipe } from '../support/recipes.ts';

const UNCLONEABLE = 'ERR_TANDEM_UNCLONEABLE_INPUT';

/** Judges the outcome of echoing the value of `r`. */
function judgeEcho(verdict: Verdict, r: Recipe, outcome: Outcome, runs: number): void {
  const reference = cloneOf(r);
  if (reference.ok) {
    verdict.expect(
      outcome.status === 'fulfilled' && isDeepStrictEqual(outcome.value, reference.value),
      () => `a cloneable input (${describe(reference.value)}) ${show(outcome)}`,
    );
    verdict.expect(runs === 1, `the task ran ${runs} times, not once`);
  } else {
    verdict.expect(
      outcome.status === 'rejected' && isEngineError(outcome.reason, UNCLONEABLE),
      () =>
        `an input structured clone refuses (${describe(reference.error)}) ${show(outcome)}, not ${UNCLONEABLE}`,
    );
    verdict.expect(runs === 0, `a refused input ran ${runs} times`);
  }
}

const run: FuzzProperty = {
  name: 'hostile inputs: run() settles, echoes what clones, refuses the rest with UNCLONEABLE_INPUT',
  runs: 40,
  property: fc.asyncProperty(recipe, fc.boolean(), (r, transfer) =>
    poolCase(async (pool, verdict) => {
      const open = opened();
      const runs = counter();
      try {
        // Plain leaves are copied: a transfer detaches the buffers of the input.
        const payload = build(r, open, true);
        const outcome = await attempt(() =>
          pool.run('countedEcho', { counter: runs, payload }, { transfer }),
        );
        judgeEcho(verdict, r, outcome, Atomics.load(runs, 0));
      } finally {
        closeOpened(open);
      }
      return undefined;
    }),
  ),
};

const map: FuzzProperty = {
  name: 'hostile inputs: map() settles per item, with the failing index, and runs each item at most once',
  runs: 20,
  property: fc.asyncProperty(
    fc.array(recipe, { minLength: 1, maxLength: 5 }),
    fc.boolean(),
    fc.integer({ min: 1, max: 3 }),
    (recipes, settle, batch) =>
      poolCase(async (pool, verdict) => {
        const open = opened();
        const runs = counter(recipes.length);
        try {
          const references = recipes.map(cloneOf);
          const items = recipes.map((r, index) => ({
            counter: runs,
            index,
            payload: build(r, open),
          }));
          const outcome = await attempt(() =>
            mapBatched(pool, 'countedEcho', items, { settle, batch }),
          );
          const bad = references.flatMap((ref, index) => (ref.ok ? [] : [index]));
          judgeMap(verdict, references, bad, settle, outcome, UNCLONEABLE);
          recipes.forEach((_, index) => {
            const n = Atomics.load(runs, index);
            verdict.expect(n <= 1, `item ${index} ran ${n} times`);
            verdict.expect(
              !bad.includes(index) || n === 0,
              `item ${index}, which cannot be cloned, ran ${n} times`,
            );
          });
        } finally {
          closeOpened(open);
        }
        return undefined;
      }),
  ),
};

/**
 * Judges a `map` over items whose references are `references`, the items at `bad` failing
 * with `code`. With `settle`, each item has its own outcome; without, the map rejects with
 * MapItemError naming a failing item. A map may also refuse the whole call up front.
 */
export function judgeMap(
  verdict: Verdict,
  references: ReturnType<typeof cloneOf>[],
  bad: number[],
  settle: boolean,
  outcome: Outcome,
  code: string,
  itemFailed: (reason: unknown) => boolean = (reason) => isEngineError(reason, code),
): void {
  if (outcome.status === 'unsettled') {
    verdict.fail('map did not settle within the bound');
    return;
  }
  if (outcome.status === 'rejected' && isEngineError(outcome.reason, code) && bad.length > 0) {
    return; // refused as a whole, before anything ran
  }
  if (bad.length === 0 || settle) {
    if (!verdict.expect(outcome.status === 'fulfilled', () => `map ${show(outcome)}`)) return;
    const values = (outcome as { value: unknown }).value as unknown[];
    references.forEach((ref, index) => {
      const got = values[index] as { status?: string; value?: unknown; reason?: unknown };
      if (!settle) {
        verdict.expect(
          ref.ok && isDeepStrictEqual(got, ref.value),
          () => `item ${index} came back as ${describe(got)}`,
        );
      } else if (ref.ok) {
        verdict.expect(
          got?.status === 'fulfilled' && isDeepStrictEqual(got.value, ref.value),
          () => `a good item ${index} ${describeSettled(got)}`,
        );
      } else {
        verdict.expect(
          got?.status === 'rejected' && itemFailed(got.reason),
          () => `a bad item ${index} ${describeSettled(got)}, not ${code}`,
        );
      }
    });
    return;
  }
  const reason = (outcome as { reason?: unknown }).reason as { index?: unknown; cause?: unknown };
  verdict.expect(
    outcome.status === 'rejected' &&
      isEngineError(reason, 'ERR_TANDEM_MAP_ITEM_FAILED') &&
      bad.includes(reason.index as number) &&
      itemFailed(reason.cause),
    () =>
      `map over bad items ${JSON.stringify(bad)} ${show(outcome)}; expected MapItemError with one of those indexes and a cause with ${code}`,
  );
}

export const properties = [run, map];
export const teardown = destroySharedPool;
