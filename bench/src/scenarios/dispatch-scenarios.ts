/**
 * The dispatch scenarios of issue 9, run right after run-throughput: the same kind of no-op
 * calls on fresh pools, all at once, and beside long tasks. One entry in `all-scenarios.ts`,
 * so that file stays a short list others can add to without touching these lines.
 *
 * @module
 */
import type { Scenario } from '../runner/scenario.ts';
import { dispatchThroughput } from './dispatch-throughput.ts';
import { headOfLine } from './head-of-line.ts';
import { runBurst } from './run-burst.ts';
import { shortBesideLong } from './short-beside-long.ts';

export const dispatchScenarios: readonly Scenario[] = [
  dispatchThroughput,
  runBurst,
  headOfLine,
  shortBesideLong,
];
