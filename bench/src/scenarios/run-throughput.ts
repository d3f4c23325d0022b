/**
 * run-throughput: many independent `run` calls with a fixed window in flight, as a server
 * handling requests would drive a pool. This is where dispatch policy shows: a pool that keeps
 * one task per worker idles the worker for a full message round trip between tasks.
 *
 * @module
 */
import { threadedPeers } from '../peers/all-peers.ts';
import { PiscinaPeer } from '../peers/piscina.ts';
import { withStartedPeers } from '../peers/started-peers.ts';
import type { Row } from '../runner/result.ts';
import type { Scenario } from '../runner/scenario.ts';
import { rateOf } from '../runner/spread.ts';
import { judgeTandem } from '../runner/target.ts';
import { interleavedRounds, runWindowed, timeOnce } from '../runner/workload.ts';

const target = {
  statement: 'tandem.run throughput ≥ poolifier (50k no-op runs, 1,000 in flight)',
  comparison: '>=' as const,
  limit: 1,
};

export const runThroughput: Scenario = {
  name: 'run-throughput',
  title: 'no-op `run` calls with 1,000 in flight',
  async run({ quick, threads, tandemUnavailable, log }) {
    const tasks = quick ? 2_000 : 50_000;
    const inFlight = 1_000;
    const rounds = quick ? 2 : 5;
    const peers = [
      ...threadedPeers({ tandem: tandemUnavailable === undefined }),
      new PiscinaPeer(16),
    ];
    const spreads = await withStartedPeers(peers, threads, log, (started) =>
      interleavedRounds(
        started.map((peer) => ({
          key: peer.name,
          round: () => timeOnce(() => runWindowed(tasks, inFlight, (i) => peer.run('noop', i))),
        })),
        rounds,
        (name, error) => log(`  ${name}: failed, left out (${(error as Error).message})`),
      ),
    );
    const rows: Row[] = [...spreads].map(([label, ms]) => ({
      label,
      value: rateOf(ms, tasks * 1_000),
      extra: { 'round (ms)': ms.median },
    }));
    const rate = (name: string) => rows.find((row) => row.label === name)?.value.median;
    const piscina = rate('piscina');
    const poolifier = rate('poolifier');
    for (const row of rows) {
      if (piscina) row.extra!['× piscina'] = row.value.median / piscina;
      if (poolifier) row.extra!['× poolifier'] = row.value.median / poolifier;
    }
    return {
      metric: { name: 'throughput', unit: 'tasks/s', better: 'higher' },
      rows,
      targets: [
        judgeTandem(
          target,
          tandemUnavailable,
          rate('tandem'),
          rate('poolifier'),
          'Ratio of median rates.',
        ),
      ],
      notes: [
        `${tasks.toLocaleString('en-US')} tasks per round, ${inFlight} in flight, ${rounds} rounds interleaved across peers; ${threads} thread(s) per pool.`,
        'Each pool runs with its defaults apart from the thread count (piscina: one task in flight per worker).',
        '`piscina ×16 per worker` is piscina with `concurrentTasksPerWorker: 16`: the same pool with a few tasks queued inside each worker (shown, not targeted). Read `× piscina` against both piscina rows: the default one is piscina at its slowest here.',
        'Every pool here is warm (started, warmed up, then every round on the same pool): see dispatch-throughput for a fresh engine per 10,000 tasks.',
      ],
    };
  },
};
