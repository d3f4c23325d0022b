import { defineTasks } from '@tandem/workers';

/** Counts the primes below `limit` with a sieve: pure CPU, tens of milliseconds. */
export function countPrimes(limit: number): number {
  const composite = new Uint8Array(limit);
  let count = 0;
  for (let n = 2; n < limit; n++) {
    if (composite[n]) continue;
    count++;
    for (let multiple = n * n; multiple < limit; multiple += n) composite[multiple] = 1;
  }
  return count;
}

export default defineTasks({ countPrimes });
