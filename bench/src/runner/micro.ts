/**
 * Micro-benchmarks through tinybench: warm-up, then as many sequential iterations as fit the
 * time budget, with p50/p99 and the margin of error. Used where one call is the unit (a
 * round trip, one buffer sent), not for workloads.
 *
 * @module
 */
import { Bench } from 'tinybench';
import { spreadOf } from './spread.ts';

export interface MicroCase {
  name: string;
  fn: () => Promise<unknown>;
  /** Untimed preparation before every iteration (e.g. a fresh buffer to transfer). */
  beforeEach?: () => void;
}

/** Latency in ms, and the relative margin of error (percent) of the mean. */
export interface MicroResult {
  p50: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
  rme: number;
  samples: number;
}

export interface MicroOptions {
  /** Time budget per case and pass, ms (tinybench also runs at least `iterations` times). */
  time: number;
  warmupTime: number;
  iterations: number;
  /**
   * Passes over all cases. On a shared machine a neighbour's burst can land on one case's
   * whole time slot; several shorter passes spread it over every case, and the median of the
   * passes' p50 drops it.
   */
  passes: number;
}

/** One pass: each case in turn through tinybench; a case that throws rejects. */
async function onePass(
  cases: readonly MicroCase[],
  { passes: _, ...options }: MicroOptions,
): Promise<Map<string, MicroResult>> {
  const bench = new Bench({ ...options, throws: true, warmupIterations: 16 });
  for (const { name, fn, beforeEach } of cases) {
    bench.add(name, fn, beforeEach ? { beforeEach, async: true } : { async: true });
  }
  await bench.run();
  const results = new Map<string, MicroResult>();
  for (const task of bench.tasks) {
    const result = task.result;
    if (result.state !== 'completed')
      throw new Error(`${task.name}: tinybench state ${result.state}`);
    const { latency } = result;
    results.set(task.name, {
      p50: latency.p50,
      p99: latency.p99,
      mean: latency.mean,
      min: latency.min,
      max: latency.max,
      rme: latency.rme,
      samples: latency.samplesCount,
    });
  }
  return results;
}

/**
 * Runs `passes` passes and combines them per case: p50, p99, mean and rme are the median over
 * passes, min and max the extremes, samples the total.
 */
export async function microBench(
  cases: readonly MicroCase[],
  options: MicroOptions,
): Promise<Map<string, MicroResult>> {
  const passes: Map<string, MicroResult>[] = [];
  for (let pass = 0; pass < options.passes; pass++) {
    // Each pass starts at a different case, so no case is always the one that runs right after
    // the heaviest (and inherits its garbage collection).
    const shift = Math.floor((pass * cases.length) / options.passes);
    passes.push(await onePass([...cases.slice(shift), ...cases.slice(0, shift)], options));
  }
  const combined = new Map<string, MicroResult>();
  for (const { name } of cases) {
    const all = passes.map((pass) => pass.get(name)!);
    const median = (pick: (r: MicroResult) => number) => spreadOf(all.map(pick)).median;
    combined.set(name, {
      p50: median((r) => r.p50),
      p99: median((r) => r.p99),
      mean: median((r) => r.mean),
      rme: median((r) => r.rme),
      min: Math.min(...all.map((r) => r.min)),
      max: Math.max(...all.map((r) => r.max)),
      samples: all.reduce((total, r) => total + r.samples, 0),
    });
  }
  return combined;
}
