/**
 * short-beside-long: on a pool of 2 threads, long tasks (200 ms) run one after another without
 * a gap while short tasks (~0.1 ms) arrive at a steady rate: one at a time, or a few together
 * (as a server handling several requests at once submits them). One thread is always free, so
 * a short task should wait for nothing; its latency (submit to result) shows whether the
 * dispatch ever parks it behind a long task.
 *
 * @module
 */
import type { Peer } from '../peers/peer.ts';
import { PiscinaPeer } from '../peers/piscina.ts';
import { withStartedPeers } from '../peers/started-peers.ts';
import { TandemPeer } from '../peers/tandem.ts';
import type { Row } from '../runner/result.ts';
import type { Scenario } from '../runner/scenario.ts';
import { spreadOf } from '../runner/spread.ts';
import { judgeTandem, type TargetSpec } from '../runner/target.ts';

const threads = 2;
const shortMicros = 100;

/** How short tasks arrive: `together` in the same tick, every `everyMs`; 200 per second both. */
const arrivals = [
  { label: 'one every 5 ms', everyMs: 5, together: 1 },
  { label: '4 together every 20 ms', everyMs: 20, together: 4 },
] as const;
type Arrival = (typeof arrivals)[number];

const target = (arrival: Arrival): TargetSpec => ({
  statement: `tandem short-task latency p99 ≤ 20 ms beside long tasks, ${arrival.label} (2 threads, one free)`,
  comparison: '<=',
  limit: 20,
  unit: 'ms',
});

/** The value at quantile `q` (0..1) of ascending `sorted`, nearest rank. */
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One round: long tasks back to back for `durationMs`, and short tasks as `arrival` says on a
 * fixed schedule (a late timer does not shift the next arrivals). Returns each short task's
 * latency, ms, and how many long tasks ran.
 */
async function stream(peer: Peer, arrival: Arrival, durationMs: number, longMicros: number) {
  const start = performance.now();
  const end = start + durationMs;
  let longTasks = 0;
  const longs = (async () => {
    while (performance.now() < end) {
      await peer.run('spin', longMicros);
      longTasks++;
    }
  })();
  const latencies: Promise<number>[] = [];
  for (let next = start; next < end; next += arrival.everyMs) {
    await sleep(Math.max(0, next - performance.now()));
    const submitted = performance.now();
    for (let i = 0; i < arrival.together; i++) {
      latencies.push(peer.run('spin', shortMicros).then(() => performance.now() - submitted));
    }
  }
  const result = await Promise.all(latencies);
  await longs;
  return { latencies: result, longTasks };
}

export const shortBesideLong: Scenario = {
  name: 'short-beside-long',
  title: 'short tasks (~0.1 ms) streaming beside long ones (200 ms), 2 threads',
  async run({ quick, tandemUnavailable, log }) {
    const durationMs = quick ? 500 : 1_500;
    const longMicros = quick ? 50_000 : 200_000;
    const rounds = quick ? 1 : 3;
    const peers: Peer[] = [
      ...(tandemUnavailable ? [] : [new TandemPeer()]),
      new PiscinaPeer(),
      new PiscinaPeer(16),
    ];
    interface Measured {
      p99s: number[];
      all: number[];
      longTasks: number;
    }
    const measured = new Map<string, Measured>();
    const key = (arrival: Arrival, peer: string) => `${arrival.label}/${peer}`;
    // Rounds interleaved across pools (round 1 of every pool, then round 2…): a neighbour's
    // burst on the shared machine then lands on one round of one pool, and the median drops it.
    await withStartedPeers(peers, threads, log, async (started) => {
      for (let round = 0; round < rounds; round++) {
        for (const arrival of arrivals) {
          for (const peer of started) {
            const entry = measured.get(key(arrival, peer.name)) ?? {
              p99s: [],
              all: [],
              longTasks: 0,
            };
            measured.set(key(arrival, peer.name), entry);
            const { latencies, longTasks } = await stream(peer, arrival, durationMs, longMicros);
            entry.p99s.push(
              quantile(
                [...latencies].sort((a, b) => a - b),
                0.99,
              ),
            );
            entry.all.push(...latencies);
            entry.longTasks += longTasks;
          }
        }
      }
    });
    const rows: Row[] = [];
    for (const arrival of arrivals) {
      for (const peer of peers) {
        const entry = measured.get(key(arrival, peer.name));
        if (!entry) continue;
        const sorted = [...entry.all].sort((a, b) => a - b);
        rows.push({
          label: peer.name,
          group: arrival.label,
          value: spreadOf(entry.p99s),
          extra: {
            'p50 (ms)': quantile(sorted, 0.5),
            'p99, all rounds (ms)': quantile(sorted, 0.99),
            'max (ms)': sorted.at(-1)!,
            'short tasks': sorted.length.toLocaleString('en-US'),
            'long tasks': entry.longTasks.toLocaleString('en-US'),
          },
        });
      }
    }
    const p99 = (arrival: Arrival) => {
      const p99s = measured.get(key(arrival, 'tandem'))?.p99s;
      return p99s && spreadOf(p99s).median;
    };
    return {
      metric: { name: 'short-task latency p99', unit: 'ms', better: 'lower' },
      rows,
      targets: arrivals.map((arrival) =>
        judgeTandem(
          target(arrival),
          tandemUnavailable,
          p99(arrival),
          1,
          `Median over ${rounds} round(s) of each round’s p99, submit to result.`,
        ),
      ),
      notes: [
        `${threads} threads for every pool whatever \`--threads\` says. Per round, ${durationMs / 1_000} s: long tasks of ${longMicros / 1_000} ms one after another (the next submitted when the previous settles), and ${shortMicros / 1_000} ms tasks on a fixed schedule, 200 per second: ${arrivals.map((a) => a.label).join(', or ')}. ${rounds} round(s) per pool and arrival pattern, interleaved; p50, max and \`p99, all rounds\` are over every short task of every round. Pools warmed up first (with no-ops: an adaptive dispatch has learned that tasks are short).`,
        'One at a time, a dispatch that picks the least-loaded worker sends every short task to the free thread; several together are where a dispatch that spreads tasks evenly puts some behind the long task.',
        'piscina (one task per worker) never queues a short task behind a long one; `piscina ×16 per worker` may: it shows what pre-dispatch without stealing costs.',
      ],
    };
  },
};
