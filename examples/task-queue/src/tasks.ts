/**
 * The task module (it runs in the worker threads of every worker process, on any machine):
 * count the primes in a range of integers, reporting progress as it goes. The producer only
 * `import type`s it, so `engine.run('countPrimes', …)` is typed without loading it.
 *
 * @module
 */
import { defineTasks } from '@tandem/workers';

/** A half-open range of integers, `[from, to)`. */
export interface Range {
  readonly from: number;
  readonly to: number;
}

/** What a job returns: its count, and which process counted (to show the spread). */
export interface Counted extends Range {
  readonly primes: number;
  /** The worker process's pid. */
  readonly pid: number;
}

/** Progress updates a job sends (each one travels through Redis: a few per job is plenty). */
const PROGRESS_STEPS = 4;

function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

export default defineTasks({
  countPrimes(range: Range, ctx): Counted {
    const { from, to } = range;
    if (!(Number.isSafeInteger(from) && Number.isSafeInteger(to) && from >= 0 && to >= from)) {
      throw new RangeError(`Expected 0 <= from <= to, integers, got [${from}, ${to})`);
    }
    const step = Math.max(1, Math.ceil((to - from) / PROGRESS_STEPS));
    let primes = 0;
    for (let start = from; start < to; start += step) {
      const end = Math.min(to, start + step);
      for (let n = start; n < end; n++) if (isPrime(n)) primes++;
      // Between slices: stop here when the producer cancelled the job.
      ctx.checkpoint();
      ctx.progress((end - from) / Math.max(1, to - from));
    }
    return { from, to, primes, pid: process.pid };
  },
});
