/**
 * head-of-line: on a pool of 2 threads, one task that spins for 2 s, then 8 no-ops submitted
 * right after it (same tick). One thread is free the whole time, so every no-op can be done
 * within milliseconds — unless the dispatch has put some of them behind the long task inside
 * the busy worker, where they wait the full 2 s. Each no-op's completion time is reported.
 *
 * @module
 */
import type { Peer } from '../peers/peer.ts';
import { PiscinaPeer } from '../peers/piscina.ts';
import { withFreshPeer } from '../peers/started-peers.ts';
import { TandemPeer } from '../peers/tandem.ts';
import type { Row } from '../runner/result.ts';
import type { Scenario } from '../runner/scenario.ts';
import { spreadOf } from '../runner/spread.ts';
import { judgeTandem, type TargetSpec } from '../runner/target.ts';
import { runWindowed } from '../runner/workload.ts';

const threads = 2;
const noops = 8;
const warmTasks = 1_000;
const limitMs = 50;

const labels = {
  fresh: 'tandem, fresh',
  warm: `tandem, after ${warmTasks.toLocaleString('en-US')} no-ops`,
};

const target = (label: string): TargetSpec => ({
  statement: `${label}: every no-op submitted after a long task is done within ${limitMs} ms (2 threads)`,
  comparison: '<=',
  limit: limitMs,
  unit: 'ms',
});

interface Case {
  label: string;
  make(): Peer;
  /** No-ops run (and awaited) before the measured burst: what a pool has learned by then. */
  warm: number;
}

interface Outcome {
  /** When each no-op settled, ms after the long task was submitted, in submission order. */
  noops: number[];
  longMs: number;
}

/** One round on a fresh pool: the long task, then the no-ops in the same tick. */
async function burst(peer: Peer, longMicros: number, warm: number): Promise<Outcome> {
  if (warm > 0) await runWindowed(warm, 100, (i) => peer.run('noop', i));
  const start = performance.now();
  const long = peer.run('spin', longMicros).then(() => performance.now() - start);
  const done = Array.from({ length: noops }, (_, i) =>
    peer.run('noop', i).then(() => performance.now() - start),
  );
  const times = await Promise.all(done);
  return { noops: times, longMs: await long };
}

export const headOfLine: Scenario = {
  name: 'head-of-line',
  title: `2 threads: a 2 s task, then ${noops} no-ops submitted right after it`,
  async run({ quick, tandemUnavailable, log }) {
    const longMicros = quick ? 300_000 : 2_000_000;
    const rounds = quick ? 1 : 3;
    const cases: Case[] = [
      ...(tandemUnavailable
        ? []
        : [
            { label: labels.fresh, make: () => new TandemPeer(), warm: 0 },
            { label: labels.warm, make: () => new TandemPeer(), warm: warmTasks },
          ]),
      { label: 'piscina', make: () => new PiscinaPeer(), warm: 0 },
      { label: 'piscina ×16 per worker', make: () => new PiscinaPeer(16), warm: 0 },
    ];
    const outcomes = new Map<string, Outcome[]>(cases.map(({ label }) => [label, []]));
    for (let round = 0; round < rounds; round++) {
      for (const { label, make, warm } of cases) {
        try {
          const outcome = await withFreshPeer(make(), threads, log, (peer) =>
            burst(peer, longMicros, warm),
          );
          outcomes.get(label)!.push(outcome);
        } catch (error) {
          log(`  ${label}: round ${round + 1} failed (${(error as Error).message})`);
        }
      }
    }
    const rows: Row[] = [];
    const worst = new Map<string, number>();
    for (const [label, list] of outcomes) {
      if (list.length === 0) continue;
      const slowest = list.map((outcome) => Math.max(...outcome.noops));
      const worstRound = list[slowest.indexOf(Math.max(...slowest))]!;
      worst.set(label, Math.max(...slowest));
      rows.push({
        label,
        value: spreadOf(slowest),
        extra: {
          'no-ops done at (ms), worst round': worstRound.noops
            .map((ms) => ms.toFixed(0))
            .join(', '),
          'long task (ms)': spreadOf(list.map((outcome) => outcome.longMs)).median,
        },
      });
    }
    const detail = `Slowest no-op of the worst of ${rounds} round(s), each on a fresh pool.`;
    return {
      metric: { name: 'slowest no-op', unit: 'ms', better: 'lower' },
      rows,
      targets: [labels.fresh, labels.warm].map((label) =>
        judgeTandem(target(label), tandemUnavailable, worst.get(label), 1, detail),
      ),
      notes: [
        `${threads} threads for every pool whatever \`--threads\` says; the long task spins ${longMicros / 1_000_000} s; ${noops} no-ops are submitted in the same tick right after it; times are from the long task's submission. ${rounds} round(s), each on a fresh pool (started, every thread checked to answer, then measured).`,
        `\`${labels.warm}\` first runs ${warmTasks.toLocaleString('en-US')} no-ops (100 in flight) on the fresh engine, so an adaptive dispatch has learned that tasks are short before the long one arrives.`,
        'piscina (one task per worker) cannot queue a task behind a busy worker; `piscina ×16 per worker` can: it shows what pre-dispatch without stealing costs.',
      ],
    };
  },
};
