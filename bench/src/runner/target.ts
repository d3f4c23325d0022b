/**
 * Judging a target: a ratio against a limit. A missed target is printed as missed with its
 * ratio; a target whose rows did not run (engine missing, scenario failed) says so.
 *
 * @module
 */
import type { TargetResult } from './result.ts';

export interface TargetSpec {
  statement: string;
  comparison: '<=' | '>=';
  limit: number;
  /** Set for an absolute target (a value in this unit, not a ratio), e.g. `ms`. */
  unit?: string;
}

/**
 * `numerator / denominator` against the spec; `undefined` parts mean the rows did not run.
 * An absolute target passes the value as numerator and 1 as denominator.
 */
export function judge(
  spec: TargetSpec,
  numerator: number | undefined,
  denominator: number | undefined,
  detail: string,
): TargetResult {
  if (numerator === undefined || denominator === undefined || denominator === 0) {
    return { ...spec, ratio: undefined, status: 'not run', detail };
  }
  const ratio = numerator / denominator;
  const met = spec.comparison === '<=' ? ratio <= spec.limit : ratio >= spec.limit;
  return { ...spec, ratio, status: met ? 'met' : 'missed', detail };
}

/** A target that cannot be judged, with the reason (e.g. why the engine is unavailable). */
export function notRun(spec: TargetSpec, reason: string): TargetResult {
  return { ...spec, ratio: undefined, status: 'not run', detail: reason };
}

/**
 * A target on Tandem's rows: judged, or "not run" with the reason when the engine could not be
 * loaded (the peers' rows still run). The one place every scenario's targets go through.
 */
export function judgeTandem(
  spec: TargetSpec,
  tandemUnavailable: string | undefined,
  numerator: number | undefined,
  denominator: number | undefined,
  detail: string,
): TargetResult {
  return tandemUnavailable
    ? notRun(spec, `engine unavailable: ${tandemUnavailable}`)
    : judge(spec, numerator, denominator, detail);
}

/**
 * A quick run's verdict: a judged target becomes "not judged", ratio kept, since smoke-run
 * sizes are too small to meet or miss anything (a newcomer would read MISSED as a failure).
 */
export function unjudgedForQuickRun(target: TargetResult): TargetResult {
  if (target.status !== 'met' && target.status !== 'missed') return target;
  return { ...target, status: 'not judged', detail: `Quick sizes. ${target.detail}`.trim() };
}
