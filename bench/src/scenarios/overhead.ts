/**
 * overhead: the sequential round trip of a no-op task, one in flight at a time. This is the
 * latency a caller pays per `await engine.run(…)` when it does not batch: message out, worker
 * wake-up, message back, promise resolution. tinybench gives p50/p99 and the margin of error.
 *
 * @module
 */
import { allPeers } from '../peers/all-peers.ts';
import { withStartedPeers } from '../peers/started-peers.ts';
import { microBench } from '../runner/micro.ts';
import type { Row } from '../runner/result.ts';
import type { Scenario } from '../runner/scenario.ts';
import { judge, notRun } from '../runner/target.ts';

const target = {
  statement: 'tandem.run p50 ≤ 1.15 × piscina.run p50 (sequential no-op round trip)',
  comparison: '<=' as const,
  limit: 1.15,
};

export const overhead: Scenario = {
  name: 'overhead',
  title: 'sequential round trip of a no-op task',
  async run({ quick, threads, tandemUnavailable, log }) {
    const peers = allPeers({ tandem: tandemUnavailable === undefined });
    const results = await withStartedPeers(peers, threads, log, (started) =>
      microBench(
        started.map((peer) => ({ name: peer.name, fn: () => peer.run('noop', 1) })),
        quick
          ? { time: 50, warmupTime: 20, iterations: 32, passes: 1 }
          : { time: 400, warmupTime: 100, iterations: 200, passes: 5 },
      ),
    );
    const piscina = results.get('piscina');
    const rows: Row[] = [...results].map(([label, r]) => ({
      label,
      // Microseconds: a round trip is tens of µs, and ms would print as 0.0x.
      value: { median: r.p50 * 1_000, min: r.min * 1_000, max: r.max * 1_000, count: r.samples },
      extra: {
        'p99 (µs)': r.p99 * 1_000,
        'mean (µs)': r.mean * 1_000,
        '±rme %': r.rme,
        '× piscina': piscina ? r.p50 / piscina.p50 : '',
      },
    }));
    const p50 = (name: string) => results.get(name)?.p50;
    return {
      metric: { name: 'round trip p50', unit: 'µs', better: 'lower' },
      rows,
      targets: [
        tandemUnavailable
          ? notRun(target, `engine unavailable: ${tandemUnavailable}`)
          : judge(target, p50('tandem'), p50('piscina'), 'Ratio of medians from tinybench.'),
      ],
      notes: [
        `${threads} thread(s) per pool; one task in flight at a time. p50 = median of ${quick ? 1 : 5} tinybench passes; min–max over all samples.`,
        'inline is the same no-op behind one await on the main thread: the cost with no thread hop.',
      ],
    };
  },
};
