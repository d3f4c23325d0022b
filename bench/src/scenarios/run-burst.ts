/**
 * run-burst: 100,000 `run()` calls issued at once — `Promise.all(items.map((x) =>
 * engine.run('noop', x)))`, the natural code — against the same items through `engine.map`
 * with its default batching, on the same engine. `map` sends many items per message; the
 * question is how much of that the natural code gets without asking.
 *
 * @module
 */
import { withStartedPeers } from '../peers/started-peers.ts';
import { TandemPeer } from '../peers/tandem.ts';
import type { Row } from '../runner/result.ts';
import type { Scenario } from '../runner/scenario.ts';
import { rateOf } from '../runner/spread.ts';
import { judgeTandem, notRun } from '../runner/target.ts';
import { interleavedRounds, timeOnce } from '../runner/workload.ts';

const labels = {
  run: 'Promise.all(items.map(run))',
  map: 'engine.map (default batch)',
};

const target = {
  statement: 'tandem: 100k run() issued at once ≥ 0.5 × engine.map rate (default batch), no-ops',
  comparison: '>=' as const,
  limit: 0.5,
};

export const runBurst: Scenario = {
  name: 'run-burst',
  title: '100,000 `run` calls issued at once vs the same items through `map`',
  async run({ quick, threads, tandemUnavailable, log }) {
    const items = Array.from({ length: quick ? 5_000 : 100_000 }, (_, i) => i);
    const rounds = quick ? 2 : 5;
    if (tandemUnavailable) {
      return {
        metric: { name: 'throughput', unit: 'tasks/s', better: 'higher' },
        rows: [],
        targets: [notRun(target, `engine unavailable: ${tandemUnavailable}`)],
        notes: ['Only the engine is measured here.'],
      };
    }
    const tandem = new TandemPeer();
    let batch = 0;
    const spreads = await withStartedPeers([tandem], threads, log, async () => {
      batch = await tandem.defaultMapBatch('noop', items);
      return interleavedRounds(
        [
          {
            key: labels.run,
            round: () => timeOnce(() => Promise.all(items.map((x) => tandem.run('noop', x)))),
          },
          { key: labels.map, round: () => timeOnce(() => tandem.map('noop', items)) },
        ],
        rounds,
        (name, error) => log(`  ${name}: failed, left out (${(error as Error).message})`),
      );
    });
    const rows: Row[] = [...spreads].map(([label, ms]) => ({
      label,
      value: rateOf(ms, items.length * 1_000),
      extra: { 'round (ms)': ms.median },
    }));
    const rate = (label: string) => rows.find((row) => row.label === label)?.value.median;
    const map = rate(labels.map);
    for (const row of rows) row.extra!['× map'] = map ? row.value.median / map : '';
    return {
      metric: { name: 'throughput', unit: 'tasks/s', better: 'higher' },
      rows,
      targets: [
        judgeTandem(
          target,
          tandemUnavailable,
          rate(labels.run),
          map,
          `Ratio of median rates, same engine, rounds interleaved; map sent ${batch} items per message.`,
        ),
      ],
      notes: [
        `${items.length.toLocaleString('en-US')} no-op items per round, ${rounds} rounds interleaved on one engine (${threads} thread(s), default options, warmed up).`,
        `\`engine.map('noop', items)\` with no batch option sent ${batch} items per message (read from its onProgress steps).`,
        "The run() row is the natural code, unchanged: every call is made in the same tick. With the default `maxQueue` (16 per thread) and `onFull: 'wait'`, most of those calls wait for room in the queue before they are even queued; that wait is part of what the row measures, as it is part of what such code pays.",
      ],
    };
  },
};
