// Judging one fuzz case: a list of broken promises, collected while the case runs and thrown
// together at its end (so that fast-check shrinks on all of them and the report says what
// broke), and the shapes of an acceptable error.
import { inspect } from 'node:util';
import { TandemError } from '@tandem/workers';
import type { Outcome } from './bound.ts';

/** A readable one-line picture of any value, even one whose inspection throws. */
export function describe(value: unknown): string {
  try {
    if (value instanceof Error || TandemError.isTandemError(value)) {
      const { name, code, message } = value as {
        name?: unknown;
        code?: unknown;
        message?: unknown;
      };
      return `${String(name)}${code === undefined ? '' : ` [${String(code)}]`}: ${String(message)}`;
    }
    return inspect(value, { depth: 2, breakLength: Number.POSITIVE_INFINITY, maxArrayLength: 8 });
  } catch (error) {
    return `<uninspectable: ${error instanceof Error ? error.message : 'unknown'}>`;
  }
}

/** A settled result (`{ status, value | reason }`) on one line. */
export function describeSettled(result: unknown): string {
  const r = result as { status?: unknown; value?: unknown; reason?: unknown } | undefined;
  if (r?.status === 'fulfilled') return `fulfilled with ${describe(r.value)}`;
  if (r?.status === 'rejected') return `rejected with ${describe(r.reason)}`;
  return describe(result);
}

/** The `code` of an error, if it has a string one (reading it may throw: then undefined). */
export function codeOf(reason: unknown): string | undefined {
  try {
    const code = (reason as { code?: unknown } | null | undefined)?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An error the engine itself raised: a real Tandem error (not a worker's error that only
 * carries the name or the code) whose code is `ERR_TANDEM_…`, optionally one of `codes`.
 */
export function isEngineError(reason: unknown, ...codes: string[]): boolean {
  const code = codeOf(reason);
  if (code === undefined || !code.startsWith('ERR_TANDEM_')) return false;
  if (!TandemError.isTandemError(reason)) return false;
  return codes.length === 0 || codes.includes(code);
}

/** Validation errors at the boundary. */
export const VALIDATION = ['ERR_TANDEM_INVALID_ARGUMENT', 'ERR_TANDEM_OUT_OF_RANGE'];

/** Describes an outcome for a report. */
export function show(outcome: Outcome): string {
  if (outcome.status === 'unsettled') return 'did not settle within the bound';
  if (outcome.status === 'fulfilled') return `resolved with ${describe(outcome.value)}`;
  return `rejected with ${describe(outcome.reason)}`;
}

/** The problems found in one case. */
export class Verdict {
  readonly problems: string[] = [];

  /** Records `problem` unless `ok`. */
  expect(ok: boolean, problem: string | (() => string)): boolean {
    if (!ok) this.problems.push(typeof problem === 'string' ? problem : problem());
    return ok;
  }

  fail(problem: string): void {
    this.problems.push(problem);
  }

  /** Throws every problem found, for fast-check to report and shrink on. */
  done(): void {
    if (this.problems.length > 0) throw new Error(this.problems.join('\n  '));
  }
}
