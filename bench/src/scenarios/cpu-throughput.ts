/**
 * cpu-throughput: 400 tasks of ~2 ms, for every thread count from 1 to the core count. Each
 * task is long enough that dispatch overhead should vanish, so the rate should scale with the
 * threads: efficiency = ideal time / actual time, where the ideal is the tasks' own length
 * divided by the threads (400 × 2 ms / threads); 1.0 is perfect. The inline row (the same
 * tasks back to back on the main thread) measures the machine: a task spins on the clock, so
 * only a thread kept off its core past the end of a task makes it longer, and inline's
 * efficiency says how much a loaded machine takes from every row.
 *
 * @module
 */

import { threadedPeers } from '../peers/all-peers.ts';
import { InlinePeer } from '../peers/inline.ts';
import { withStartedPeers } from '../peers/started-peers.ts';
import type { Row, Spread } from '../runner/result.ts';
import type { Scenario } from '../runner/scenario.ts';
import { rateOf } from '../runner/spread.ts';
import { judgeTandem } from '../runner/target.ts';
import { interleavedRounds, timeOnce } from '../runner/workload.ts';

const taskMicros = 2_000;

/**
 * The target (≥ 0.95) at the run's thread count — the default leaves a core to the
 * loop — and the earlier ≥ 0.9 at the other counts, where with threads = cores the loop
 * shares a core with a worker.
 */
function limitAt(threads: number, runThreads: number): number {
  return threads === runThreads ? 0.95 : 0.9;
}

export const cpuThroughput: Scenario = {
  name: 'cpu-throughput',
  title: 'tasks of ~2 ms, threads = 1..cores',
  async run({ quick, cores, threads: runThreads, tandemUnavailable, log }) {
    const tasks = quick ? 20 : 400;
    const rounds = quick ? 2 : 5;
    const onError = (name: string, error: unknown) =>
      log(`  ${name}: failed, left out (${(error as Error).message})`);
    const all = (peer: { run(t: 'spin', x: number): Promise<unknown> }) => () =>
      timeOnce(() =>
        Promise.all(Array.from({ length: tasks }, () => peer.run('spin', taskMicros))),
      );

    // The single-thread reference: the same tasks back to back on the main thread.
    const inline = new InlinePeer();
    const inlineMs = (
      await interleavedRounds([{ key: 'inline', round: all(inline) }], rounds, onError)
    ).get('inline')!;
    // The tasks' own length: what a perfect pool of one thread takes.
    const workMs = (tasks * taskMicros) / 1_000;
    const rows: Row[] = [
      {
        label: 'inline',
        group: 'threads=1',
        value: rateOf(inlineMs, tasks * 1_000),
        extra: {
          efficiency: workMs / inlineMs.median,
          'efficiency vs inline': 1,
          'round (ms)': inlineMs.median,
          'ideal (ms)': workMs,
        },
      },
    ];

    const tandemEfficiency = new Map<number, number>();
    for (let threads = 1; threads <= cores; threads++) {
      log(`  threads=${threads}`);
      const peers = threadedPeers({ tandem: tandemUnavailable === undefined });
      const spreads = await withStartedPeers(peers, threads, log, (started) =>
        interleavedRounds(
          started.map((peer) => ({ key: peer.name, round: all(peer) })),
          rounds,
          onError,
        ),
      );
      const idealMs = workMs / threads;
      for (const [label, ms] of spreads) {
        const value: Spread = rateOf(ms, tasks * 1_000);
        const efficiency = idealMs / ms.median;
        if (label === 'tandem') tandemEfficiency.set(threads, efficiency);
        const extra = {
          efficiency,
          'efficiency vs inline': inlineMs.median / threads / ms.median,
          'round (ms)': ms.median,
          'ideal (ms)': idealMs,
        };
        rows.push({ label, group: `threads=${threads}`, value, extra });
      }
    }

    const targets = Array.from({ length: cores }, (_, i) => {
      const threads = i + 1;
      const limit = limitAt(threads, runThreads);
      const spec = {
        statement: `tandem efficiency at ${threads} thread(s)${threads === runThreads ? ' (the run’s thread count)' : ''} ≥ ${limit} (ideal time / actual time, ${tasks} × ${taskMicros / 1_000} ms)`,
        comparison: '>=' as const,
        limit,
      };
      return judgeTandem(
        spec,
        tandemUnavailable,
        tandemEfficiency.get(threads),
        1,
        `ideal = ${tasks} × ${taskMicros / 1_000} ms / threads; median round time. Inline's efficiency in this run (the machine's own loss): ${(workMs / inlineMs.median).toFixed(2)}.`,
      );
    });
    return {
      metric: { name: 'throughput', unit: 'tasks/s', better: 'higher' },
      rows,
      targets,
      notes: [
        `${tasks} tasks of ${taskMicros / 1_000} ms per round, all submitted at once; ${rounds} rounds interleaved.`,
        `efficiency = ideal time / median round time, ideal = ${tasks} × ${taskMicros / 1_000} ms / threads. The target is ≥ 0.95 at the run's thread count (${runThreads}) and ≥ 0.9 at the others: with threads = cores the event loop shares a core with a worker.`,
        'The inline row runs the same tasks back to back on the main thread. Each task spins on the clock, so on an idle machine its efficiency is about 1; below that, the machine is losing time to other processes, and every row loses it too. `efficiency vs inline` takes inline’s time / threads as the ideal instead: shown, not judged, it cancels what the machine takes from both (and adds inline’s own noise).',
      ],
    };
  },
};
