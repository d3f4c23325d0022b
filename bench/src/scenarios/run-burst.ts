/**
 * run-burst: 100,000 `run()` calls issued at once — `Promise.all(items.map((x) =>
 * engine.run('noop', x)))`, the natural code — against the same items through `engine.map`
 * with its default batching, on the same engine. `map` sends many items per message; the
 * question is how much of that the natural code gets without asking.
 *
 * @module
 */
import { coalescedRun } from '../peers/raw-coalesced.ts';
import { RawPostMessagePeer } from '../peers/raw-post-message.ts';
import { withStartedPeers } from '../peers/started-peers.ts';
import { TandemPeer } from '../peers/tandem.ts';
import type { Row } from '../runner/result.ts';
import type { Scenario } from '../runner/scenario.ts';
import { rateOf } from '../runner/spread.ts';
import { judgeTandem, notRun } from '../runner/target.ts';
import { interleavedRounds, timeOnce } from '../runner/workload.ts';

const labels = {
  run: 'Promise.all(items.map(run))',
  mixed: 'the same, two task names in turn',
  map: 'engine.map (default batch)',
  ceiling: 'ceiling: a promise per call, gathered per tick, raw postMessage',
  promises: 'floor: the promises alone, no worker',
};

/**
 * What the natural code costs with no pool at all: a promise per item, each resolved a turn
 * later with its item, and `Promise.all` over them. No `run()` can cost less.
 */
function promisesAlone(items: readonly number[]): Promise<unknown[]> {
  const settlers: ((value: number) => void)[] = [];
  const all = Promise.all(
    items.map(() => new Promise<number>((resolve) => settlers.push(resolve))),
  );
  setImmediate(() => {
    for (let i = 0; i < settlers.length; i++) settlers[i]!(items[i]!);
  });
  return all;
}

const target = {
  statement: 'tandem: 100k run() issued at once ≥ 0.5 × engine.map rate (default batch), no-ops',
  comparison: '>=' as const,
  limit: 0.5,
};

const againstCeiling = {
  statement:
    'tandem: 100k run() issued at once ≥ 0.5 × the ceiling (the same calls gathered per tick over raw postMessage, same batch)',
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
        targets: [target, againstCeiling].map((spec) =>
          notRun(spec, `engine unavailable: ${tandemUnavailable}`),
        ),
        notes: ['Only the engine is measured here.'],
      };
    }
    const tandem = new TandemPeer();
    const raw = new RawPostMessagePeer();
    let batch = 0;
    const spreads = await withStartedPeers([tandem, raw], threads, log, async (started) => {
      batch = await tandem.defaultMapBatch('noop', items);
      const ceiling = coalescedRun(raw, 'noop', batch);
      return interleavedRounds(
        [
          {
            key: labels.run,
            round: () => timeOnce(() => Promise.all(items.map((x) => tandem.run('noop', x)))),
          },
          {
            key: labels.mixed,
            // spin(0) returns at once: a no-op under another name.
            round: () =>
              timeOnce(() =>
                Promise.all(
                  items.map((x) => (x % 2 === 0 ? tandem.run('noop', x) : tandem.run('spin', 0))),
                ),
              ),
          },
          { key: labels.map, round: () => timeOnce(() => tandem.map('noop', items)) },
          { key: labels.promises, round: () => timeOnce(() => promisesAlone(items)) },
          ...(started.includes(raw)
            ? [
                {
                  key: labels.ceiling,
                  round: () => timeOnce(() => Promise.all(items.map(ceiling))),
                },
              ]
            : []),
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
    const ceiling = rate(labels.ceiling);
    const promises = rate(labels.promises);
    const one = rate(labels.run);
    const mixed = rate(labels.mixed);
    const mixedShare = one && mixed ? ` (this run: ${(mixed / one).toFixed(2)} × it)` : '';
    const ceilingShare =
      ceiling && map && promises
        ? `${(ceiling / map).toFixed(2)} × map in this run, and the promises alone (no worker) ${(promises / map).toFixed(2)} ×`
        : 'not run';
    return {
      metric: { name: 'throughput', unit: 'tasks/s', better: 'higher' },
      rows,
      targets: [
        judgeTandem(
          target,
          tandemUnavailable,
          rate(labels.run),
          map,
          `Ratio of median rates, same engine, rounds interleaved; map sent ${batch} items per message. The ceiling row: ${ceilingShare}; no design reaches more than the floor.`,
        ),
        judgeTandem(
          againstCeiling,
          tandemUnavailable,
          rate(labels.run),
          rate(labels.ceiling),
          `Ratio of median rates, rounds interleaved; the ceiling sent ${batch} calls per message.`,
        ),
      ],
      notes: [
        `${items.length.toLocaleString('en-US')} no-op items per round, ${rounds} rounds interleaved on one engine (${threads} thread(s), default options, warmed up).`,
        `\`engine.map('noop', items)\` with no batch option sent ${batch} items per message (read from its onProgress steps).`,
        `The floor row is this code with no pool at all: the caller's own promise per call, resolved a turn later, and Promise.all over them; no run() can cost less, so when the floor is below 0.5 × map the first target is out of reach for any design. The ceiling row adds the simplest messaging a pool could do: the calls of one tick sent ${batch} to a message over bare postMessage — no checks, no bounded queue, no cancellation, no crash recovery (bench/src/peers/raw-coalesced.ts). The second target measures what Tandem adds to the ceiling.`,
        `The second row issues the same burst with two task names in turn (noop, and spin for 0 µs): calls of different names share messages too, so it should stay near the first row${mixedShare}.`,
        "The run() row is the natural code, unchanged: every call is made in the same tick. With the default `maxQueue` (16 per thread) and `onFull: 'wait'`, most of those calls wait for room in the queue before they are even queued; that wait is part of what the row measures, as it is part of what such code pays.",
      ],
    };
  },
};
