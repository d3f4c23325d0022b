// Arbitrary results and progress values: whatever a task returns or reports, the call
// settles; what structured clone takes arrives intact, what it refuses fails that task alone
// (ERR_TANDEM_UNCLONEABLE_RESULT / _PROGRESS), the task at fault runs once, and a task that
// ends its worker after returning is never run again.
import { isDeepStrictEqual } from 'node:util';
import { mapBatched } from '@tandem/workers/internal';
import fc from 'fast-check';
import { recipe } from '../support/arbitraries.ts';
import { attempt } from '../support/bound.ts';
import { describe, isEngineError, show, type Verdict } from '../support/judge.ts';
import { counter, destroySharedPool, poolCase } from '../support/pool-case.ts';
import type { FuzzProperty } from '../support/property.ts';
import { cloneOf, GETTER_MESSAGE, hasThrowingGetter, type Recipe } from '../support/recipes.ts';
import { judgeMap } from './hostile-inputs.ts';

const RESULT = 'ERR_TANDEM_UNCLONEABLE_RESULT';
const PROGRESS = 'ERR_TANDEM_UNCLONEABLE_PROGRESS';

// A task's result is awaited when it is a promise (or adopted when thenable): at the top
// level those are not results but ways of returning one, so they are put in an array.
const result = recipe.map(
  (r): Recipe => (r.t === 'promise' || r.t === 'thenable' ? { t: 'array', items: [r] } : r),
);

/** An uncloneable value fails with `code`, or, if reading it throws, with that error. */
function failedFor(r: Recipe, code: string): (reason: unknown) => boolean {
  return (reason) =>
    isEngineError(reason, code) ||
    (hasThrowingGetter(r) && (reason as { message?: unknown })?.message === GETTER_MESSAGE);
}

function judgeResult(verdict: Verdict, r: Recipe, outcome: Awaited<ReturnType<typeof attempt>>) {
  const reference = cloneOf(r);
  if (reference.ok) {
    verdict.expect(
      outcome.status === 'fulfilled' && isDeepStrictEqual(outcome.value, reference.value),
      () => `a cloneable result (${describe(reference.value)}) ${show(outcome)}`,
    );
  } else {
    verdict.expect(
      outcome.status === 'rejected' && failedFor(r, RESULT)(outcome.reason),
      () =>
        `a result structured clone refuses (${describe(reference.error)}) ${show(outcome)}, not ${RESULT}`,
    );
  }
}

const run: FuzzProperty = {
  name: 'results: run() settles, returns what clones, fails the rest with UNCLONEABLE_RESULT, runs once',
  runs: 30,
  property: fc.asyncProperty(
    result,
    // One case in eight ends its worker: each replacement boots tsx again (a second).
    fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
    (r, exitAfter) =>
      poolCase(async (pool, verdict) => {
        const runs = counter();
        const outcome = await attempt(() =>
          pool.run('countedReturn', { counter: runs, recipe: r, exitAfter }),
        );
        const n = Atomics.load(runs, 0);
        verdict.expect(n === 1, `the task ran ${n} times, not once`);
        if (exitAfter) {
          // Its answer may or may not have left before the worker ended.
          if (
            outcome.status === 'rejected' &&
            isEngineError(outcome.reason, 'ERR_TANDEM_WORKER_CRASHED')
          ) {
            return { replacesWorker: true };
          }
        }
        judgeResult(verdict, r, outcome);
        return exitAfter ? { replacesWorker: true } : undefined;
      }),
  ),
};

const map: FuzzProperty = {
  name: 'results: map() gives each item its own outcome (settle) or the failing index, runs each once',
  runs: 20,
  property: fc.asyncProperty(
    fc.array(result, { minLength: 1, maxLength: 5 }),
    fc.boolean(),
    fc.integer({ min: 1, max: 3 }),
    (recipes, settle, batch) =>
      poolCase(async (pool, verdict) => {
        const runs = counter(recipes.length);
        const items = recipes.map((r, index) => ({
          counter: runs,
          index,
          recipe: r,
          exitAfter: false,
        }));
        const outcome = await attempt(() =>
          mapBatched(pool, 'countedReturn', items, { settle, batch }),
        );
        const references = recipes.map(cloneOf);
        const bad = references.flatMap((ref, index) => (ref.ok ? [] : [index]));
        judgeMap(verdict, references, bad, settle, outcome, RESULT, (reason) =>
          recipes.some((r) => failedFor(r, RESULT)(reason)),
        );
        recipes.forEach((_, index) => {
          const n = Atomics.load(runs, index);
          verdict.expect(n <= 1, `item ${index} ran ${n} times`);
        });
        return undefined;
      }),
  ),
};

const progress: FuzzProperty = {
  name: 'progress values: the task settles; onProgress gets what clones, an uncloneable value fails the task',
  runs: 25,
  property: fc.asyncProperty(result, (r) =>
    poolCase(async (pool, verdict) => {
      const runs = counter();
      const seen: unknown[] = [];
      const outcome = await attempt(() =>
        pool.run(
          'countedProgress',
          { counter: runs, recipe: r },
          { onProgress: (value) => seen.push(value) },
        ),
      );
      const n = Atomics.load(runs, 0);
      verdict.expect(n === 1, `the task ran ${n} times, not once`);
      const reference = cloneOf(r);
      if (reference.ok) {
        verdict.expect(
          outcome.status === 'fulfilled' &&
            seen.length === 1 &&
            isDeepStrictEqual(seen[0], reference.value),
          () =>
            `a cloneable progress value (${describe(reference.value)}): the task ${show(outcome)}, onProgress saw ${describe(seen)}`,
        );
      } else {
        // The documented choice: ctx.progress() throws in the task, which then fails. A
        // progress value that is dropped (the task succeeds, onProgress is not called) would
        // also keep the promise; a task that never settles does not.
        const failed = outcome.status === 'rejected' && failedFor(r, PROGRESS)(outcome.reason);
        const dropped = outcome.status === 'fulfilled' && seen.length === 0;
        verdict.expect(
          failed || dropped,
          () =>
            `an uncloneable progress value (${describe(reference.error)}): the task ${show(outcome)}, onProgress saw ${describe(seen)}`,
        );
      }
      return undefined;
    }),
  ),
};

export const properties = [run, map, progress];
export const teardown = destroySharedPool;
