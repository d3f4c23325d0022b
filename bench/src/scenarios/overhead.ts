/**
 * overhead: the sequential round trip of a no-op task, one in flight at a time. This is the
 * latency a caller pays per `await engine.run(…)` when it does not batch: message out, worker
 * wake-up, message back, promise resolution. tinybench gives p50, mean, p99 and the margin of
 * error; each is compared with piscina's, because a p50 alone hides the slow calls a mean
 * (and a caller's total time) pays for.
 *
 * @module
 */
import { allPeers } from '../peers/all-peers.ts';
import { withStartedPeers } from '../peers/started-peers.ts';
import { microBench } from '../runner/micro.ts';
import type { Row } from '../runner/result.ts';
import type { Scenario } from '../runner/scenario.ts';
import { judgeTandem } from '../runner/target.ts';

const targets = {
  mean: {
    statement: 'tandem.run mean ≤ 1.1 × piscina.run mean (sequential no-op round trip)',
    comparison: '<=' as const,
    limit: 1.1,
  },
  p50: {
    statement: 'tandem.run p50 ≤ 1.1 × piscina.run p50 (sequential no-op round trip)',
    comparison: '<=' as const,
    limit: 1.1,
  },
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
        'mean (µs)': r.mean * 1_000,
        'p99 (µs)': r.p99 * 1_000,
        '±rme %': r.rme,
        'p50 × piscina': piscina ? r.p50 / piscina.p50 : '',
        'mean × piscina': piscina ? r.mean / piscina.mean : '',
        'p99 × piscina': piscina ? r.p99 / piscina.p99 : '',
      },
    }));
    const tandem = results.get('tandem');
    const passes = quick ? 1 : 5;
    return {
      metric: { name: 'round trip p50', unit: 'µs', better: 'lower' },
      rows,
      targets: [
        judgeTandem(
          targets.mean,
          tandemUnavailable,
          tandem?.mean,
          piscina?.mean,
          `Ratio of means, each the median over ${passes} tinybench pass(es).`,
        ),
        judgeTandem(
          targets.p50,
          tandemUnavailable,
          tandem?.p50,
          piscina?.p50,
          `Ratio of p50s, each the median over ${passes} tinybench pass(es).`,
        ),
      ],
      notes: [
        `${threads} thread(s) per pool; one task in flight at a time. p50, mean and p99 = median of ${passes} tinybench passes each; min–max over all samples.`,
        'The p99 ratio is shown, not targeted: one garbage collection or a neighbour on the shared machine moves it.',
        'inline is the same no-op behind one await on the main thread: the cost with no thread hop.',
      ],
    };
  },
};
