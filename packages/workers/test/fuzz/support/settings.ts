// How much the fuzz properties run, from the environment, so that `pnpm test` runs a short,
// fixed-seed pass and `pnpm fuzz` a long sweep over fresh seeds (scripts/fuzz.mjs):
//
//   FUZZ_SEED=<int>        the seed (default: a fixed one, so a failure replays)
//   FUZZ_RUNS=<int>        runs of every property, overriding each one's default
//   FUZZ_SCALE=<number>    or: each property's default runs times this (default 1)
//   FUZZ_TIME_LIMIT=<ms>   stops a property (runs and shrinking) after this long (default 8 s)
//   FUZZ_BOUND=<ms>        how long any single call may take to settle (default 5 s)
//   FUZZ_LOOP_BOUND=<ms>   the same for calls that involve no thread (default 1 s)

const DEFAULT_SEED = 20_240_707;

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number, got ${raw}`);
  return value;
}

/** The seed every property of this process starts from. */
export const seed = Math.trunc(numberFromEnv('FUZZ_SEED', DEFAULT_SEED));

/** Runs of a property whose default (in `pnpm test`) is `defaultRuns`. */
export function runsFor(defaultRuns: number): number {
  const runs = process.env.FUZZ_RUNS;
  if (runs !== undefined && runs !== '') return Math.max(1, Math.trunc(Number(runs)));
  return Math.max(1, Math.round(defaultRuns * numberFromEnv('FUZZ_SCALE', 1)));
}

/** Wall-clock budget of one property, shrinking included. */
export const timeLimit = numberFromEnv('FUZZ_TIME_LIMIT', 8_000);

/**
 * How long one call may take to settle before it counts as hanging. Generous: the tasks of
 * the fuzz fixtures take microseconds, and the longest planned wait is a 300 ms grace.
 */
export const bound = numberFromEnv('FUZZ_BOUND', 5_000);

/** The bound for calls that stay on the event loop (no worker, no thread to start). */
export const loopBound = numberFromEnv('FUZZ_LOOP_BOUND', 1_000);
