/**
 * cpu-throughput: 400 tasks of ~2 ms, for every thread count from 1 to the core count. Each
 * task is long enough that dispatch overhead should vanish, so the rate should scale with the
 * threads: efficiency = rate / (threads × single-thread inline rate), 1.0 being perfect.
 *
 * @module
 */

import { threadedPeers } from '../peers/all-peers.ts';
import { InlinePeer } from '../peers/inline.ts';
import { withStartedPeers } from '../peers/started-peers.ts';
import type { Row, Spread } from '../runner/result.ts';
import type { Scenario } from '../runner/scenario.ts';
import { rateOf } from '../runner/spread.ts';
import { judge, notRun } from '../runner/target.ts';
import { interleavedRounds, timeOnce } from '../runner/workload.ts';

const taskMicros = 2_000;

export const cpuThroughput: Scenario = {
  name: 'cpu-throughput',
  title: 'tasks of ~2 ms, threads = 1..cores',
  async run({ quick, cores, tandemUnavailable, log }) {
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
    const inlineRate = rateOf(inlineMs, tasks * 1_000);
    const rows: Row[] = [
      { label: 'inline', group: 'threads=1', value: inlineRate, extra: { efficiency: 1 } },
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
      for (const [label, ms] of spreads) {
        const value: Spread = rateOf(ms, tasks * 1_000);
        const efficiency = value.median / (threads * inlineRate.median);
        if (label === 'tandem') tandemEfficiency.set(threads, efficiency);
        rows.push({ label, group: `threads=${threads}`, value, extra: { efficiency } });
      }
    }

    const targets = Array.from({ length: cores }, (_, i) => {
      const threads = i + 1;
      const spec = {
        statement: `tandem efficiency at ${threads} thread(s) ≥ 0.9 × (threads × single-thread rate)`,
        comparison: '>=' as const,
        limit: 0.9,
      };
      return tandemUnavailable
        ? notRun(spec, `engine unavailable: ${tandemUnavailable}`)
        : judge(spec, tandemEfficiency.get(threads), 1, 'Single-thread rate = inline, same run.');
    });
    return {
      metric: { name: 'throughput', unit: 'tasks/s', better: 'higher' },
      rows,
      targets,
      notes: [
        `${tasks} tasks of ${taskMicros / 1_000} ms per round, all submitted at once; ${rounds} rounds interleaved.`,
        'efficiency = median rate / (threads × median inline rate). With threads = cores the event loop shares a core with a worker.',
      ],
    };
  },
};
