// Arbitrary thrown values: whatever a task throws, its caller gets it back as thrown (class,
// name, message, code, cause, errors, own properties; what cannot be copied is skipped), the
// task ran once, its worker lives on, and a worker's error never poses as the engine's.
import { isDeepStrictEqual } from 'node:util';
import { registerError, TandemError } from '@tandem/workers';
import fc from 'fast-check';
import { thrown } from '../support/arbitraries.ts';
import { attempt } from '../support/bound.ts';
import { describe, isEngineError, show, type Verdict } from '../support/judge.ts';
import { counter, destroySharedPool, poolCase } from '../support/pool-case.ts';
import type { FuzzProperty } from '../support/property.ts';
import {
  buildThrown,
  FuzzGetterOnlyError,
  FuzzRegisteredError,
  type ThrownRecipe,
} from '../support/thrown.ts';

registerError('E_FUZZ_REGISTERED', FuzzRegisteredError);
registerError('E_FUZZ_GETTER_ONLY', FuzzGetterOnlyError);

/** Keys the codec carries by name, and the one that must never be copied onto an object. */
const FIELDS = new Set(['name', 'message', 'stack', 'code', 'cause', 'errors', '__proto__']);

type Read = { ok: true; value: unknown } | { ok: false };

/** Reads `object[key]`, which may be a throwing getter or a revoked Proxy. */
function read(object: unknown, key: PropertyKey): Read {
  try {
    return { ok: true, value: (object as Record<PropertyKey, unknown>)[key] };
  } catch {
    return { ok: false };
  }
}

function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false; // a revoked Proxy
  }
}

function cloned(value: unknown): Read {
  try {
    return { ok: true, value: structuredClone(value) };
  } catch {
    return { ok: false };
  }
}

/**
 * Judges `got` as the rebuilt form of `local` (the same recipe built on this side), following
 * causes and errors. Where the thrown value comes round again (a cause cycle), any stand-in
 * will do.
 */
export function judgeRebuilt(
  verdict: Verdict,
  local: unknown,
  got: unknown,
  at: string,
  seen = new Set<unknown>(),
) {
  if (seen.has(local) || seen.size > 12) return;
  seen.add(local);
  if (!isError(local)) {
    const copy = cloned(local);
    if (copy.ok) {
      verdict.expect(
        isDeepStrictEqual(got, copy.value),
        () => `${at}: thrown ${describe(local)}, received ${describe(got)}`,
      );
    } else {
      verdict.expect(
        typeof got === 'string' ||
          (isEngineError(got) && !isEngineError(got, 'ERR_TANDEM_WORKER_CRASHED')),
        () => `${at}: thrown an uncloneable ${describe(local)}, received ${describe(got)}`,
      );
    }
    return;
  }
  if (!verdict.expect(isError(got), () => `${at}: thrown an Error, received ${describe(got)}`)) {
    return;
  }
  const error = got as Error & Record<string, unknown>;
  verdict.expect(
    !TandemError.isTandemError(error),
    () => `${at}: a worker's ${describe(local)} came back as the engine's own ${describe(error)}`,
  );
  for (const key of ['name', 'message'] as const) {
    const want = read(local, key);
    if (want.ok && typeof want.value === 'string') {
      verdict.expect(
        error[key] === want.value,
        () =>
          `${at}.${key}: thrown ${JSON.stringify(want.value)}, received ${describe(error[key])}`,
      );
    }
  }
  const code = read(local, 'code');
  if (code.ok) {
    // A code structured clone refuses (a Symbol, a function) is dropped.
    const copy = cloned(code.value);
    verdict.expect(
      isDeepStrictEqual(error.code, copy.ok ? copy.value : undefined),
      () => `${at}.code: thrown ${describe(code.value)}, received ${describe(error.code)}`,
    );
  }
  for (const key of Object.keys(local)) {
    if (FIELDS.has(key)) continue;
    if (key === 'detail' && local instanceof FuzzGetterOnlyError) continue;
    const want = read(local, key);
    if (!want.ok) continue; // a throwing getter: skipped or not, the rebuild must only not fail
    const copy = cloned(want.value);
    const value: Read = Object.hasOwn(error, key)
      ? read(error, key)
      : { ok: true, value: undefined };
    verdict.expect(
      value.ok && isDeepStrictEqual(value.value, copy.ok ? copy.value : undefined),
      () => `${at}.${key}: thrown ${describe(want.value)}, received ${describe(value)}`,
    );
  }
  // A cause that cannot be read (a throwing getter) may be skipped; a readable one is kept.
  if (Object.hasOwn(local, 'cause') && read(local, 'cause').ok) {
    if (verdict.expect('cause' in error, `${at}: the cause was dropped`)) {
      judgeRebuilt(verdict, local.cause, error.cause, `${at}.cause`, seen);
    }
  }
  const errors = read(local, 'errors');
  if (errors.ok && Array.isArray(errors.value)) {
    const items = errors.value as unknown[];
    const got = error.errors;
    if (
      verdict.expect(
        Array.isArray(got) && got.length === items.length,
        () => `${at}.errors: thrown ${items.length} errors, received ${describe(got)}`,
      )
    ) {
      items.forEach((item, i) => {
        judgeRebuilt(verdict, item, (got as unknown[])[i], `${at}.errors[${i}]`, seen);
      });
    }
  }
  for (const [ErrorClass, registered] of [
    [FuzzRegisteredError, 'E_FUZZ_REGISTERED'],
    [FuzzGetterOnlyError, 'E_FUZZ_GETTER_ONLY'],
  ] as const) {
    if (code.ok && code.value === registered) {
      verdict.expect(
        error instanceof ErrorClass,
        () => `${at}: code ${registered} is registered, but ${describe(error)} is not an instance`,
      );
    }
  }
}

const run: FuzzProperty = {
  name: 'thrown values: the caller gets what the task threw, the task ran once, no worker died',
  runs: 50,
  property: fc.asyncProperty(thrown, (recipe: ThrownRecipe) =>
    poolCase(async (pool, verdict) => {
      const runs = counter();
      const outcome = await attempt(() => pool.run('countedThrow', { counter: runs, recipe }));
      const n = Atomics.load(runs, 0);
      verdict.expect(n === 1, `the task ran ${n} times, not once`);
      if (
        verdict.expect(outcome.status === 'rejected', () => `the throwing task ${show(outcome)}`)
      ) {
        const reason = (outcome as { reason: unknown }).reason;
        judgeRebuilt(verdict, buildThrown(recipe), reason, 'error');
      }
      return undefined;
    }),
  ),
};

export const properties = [run];
export const teardown = destroySharedPool;
