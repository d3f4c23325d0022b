/**
 * Whole workloads: time one run of a workload, repeat it for several rounds, and keep the
 * median with min–max. Rounds are interleaved across peers (round 1 of every peer, then
 * round 2…) so a burst of noise on the shared machine hits every peer, not one.
 *
 * @module
 */

import type { Spread } from './result.ts';
import { spreadOf } from './spread.ts';

/** Milliseconds one call of `work` took, on the monotonic clock. */
export async function timeOnce(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

export interface Contender<Key> {
  key: Key;
  /** One round; returns the measured value (usually ms from `timeOnce`). */
  round(): Promise<number>;
}

/**
 * Runs `rounds` rounds of every contender, interleaved, and returns each contender's spread.
 * A contender that throws is reported through `onError` and left out; the others go on.
 */
export async function interleavedRounds<Key>(
  contenders: readonly Contender<Key>[],
  rounds: number,
  onError: (key: Key, error: unknown) => void,
): Promise<Map<Key, Spread>> {
  const values = new Map<Key, number[]>(contenders.map(({ key }) => [key, []]));
  const failed = new Set<Key>();
  for (let round = 0; round < rounds; round++) {
    for (const { key, round: once } of contenders) {
      if (failed.has(key)) continue;
      try {
        values.get(key)!.push(await once());
      } catch (error) {
        failed.add(key);
        onError(key, error);
      }
    }
  }
  const spreads = new Map<Key, Spread>();
  for (const [key, list] of values) if (!failed.has(key)) spreads.set(key, spreadOf(list));
  return spreads;
}

/**
 * Runs `count` tasks with at most `inFlight` outstanding, the way a server would drive a pool:
 * a fixed window, refilled as tasks settle. Returns when all have settled.
 */
export async function runWindowed(
  count: number,
  inFlight: number,
  start: (index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await start(next++);
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, lane));
}
