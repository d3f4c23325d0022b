/**
 * transfer: sending a 1 MB, 16 MB or 64 MB buffer to a worker that touches every page, by
 * structured clone (a copy) or by transfer (the memory changes owner, no copy). The round trip
 * returns only a small checksum, so the cost measured is moving the input.
 *
 * @module
 */
import { threadedPeers } from '../peers/all-peers.ts';
import type { Peer } from '../peers/peer.ts';
import { withStartedPeers } from '../peers/started-peers.ts';
import { type MicroCase, microBench } from '../runner/micro.ts';
import type { Row } from '../runner/result.ts';
import type { Scenario } from '../runner/scenario.ts';
import { judgeTandem, notRun } from '../runner/target.ts';

const MiB = 2 ** 20;

const target = {
  statement: 'tandem transfer ≥ 10 × faster than clone at 16 MB (p50 clone / p50 transfer)',
  comparison: '>=' as const,
  limit: 10,
};

type TransferCase = MicroCase & { size: number; peer: string; mode: 'clone' | 'transfer' };

/** A clone case and a transfer case per size and peer. */
function casesFor(sizes: readonly number[], peers: readonly Peer[]): TransferCase[] {
  const cases: TransferCase[] = [];
  for (const size of sizes) {
    // The clone source is filled once; transfer needs a fresh buffer each time (the last one
    // was detached), filled outside the timed region so both modes move real pages.
    const source = new Uint8Array(size * MiB).fill(7);
    for (const peer of peers) {
      let moving = source;
      const common = { size, peer: peer.name };
      cases.push(
        {
          ...common,
          mode: 'clone',
          name: `${size}/${peer.name}/clone`,
          fn: () => peer.run('sum', source),
        },
        {
          ...common,
          mode: 'transfer',
          name: `${size}/${peer.name}/transfer`,
          beforeEach: () => {
            moving = new Uint8Array(size * MiB).fill(7);
          },
          fn: () => peer.run('sum', moving, [moving.buffer as ArrayBuffer]),
        },
      );
    }
  }
  return cases;
}

export const transfer: Scenario = {
  name: 'transfer',
  title: 'buffers to a worker: structured clone vs transfer',
  async run({ quick, threads, tandemUnavailable, log }) {
    const sizes = quick ? [1] : [1, 16, 64];
    const peers = threadedPeers({ tandem: tandemUnavailable === undefined });
    const results = await withStartedPeers(peers, threads, log, async (started) => {
      const cases = casesFor(sizes, started);
      const measured = await microBench(
        cases,
        quick
          ? { time: 20, warmupTime: 10, iterations: 4, passes: 1 }
          : { time: 150, warmupTime: 50, iterations: 8, passes: 3 },
      );
      return cases.map((c) => ({ ...c, result: measured.get(c.name)! }));
    });

    const rows: Row[] = results.map(({ size, peer, mode, result }) => {
      const clone = results.find((r) => r.size === size && r.peer === peer && r.mode === 'clone');
      return {
        label: `${peer} ${mode}`,
        group: `${size} MB`,
        value: { median: result.p50, min: result.min, max: result.max, count: result.samples },
        extra: {
          'GB/s': (size * MiB) / 1e9 / (result.p50 / 1_000),
          'clone / this': clone ? clone.result.p50 / result.p50 : '',
        },
      };
    });
    const p50 = (mode: string) =>
      results.find((r) => r.size === 16 && r.peer === 'tandem' && r.mode === mode)?.result.p50;
    return {
      metric: { name: 'round trip p50', unit: 'ms', better: 'lower' },
      rows,
      targets: [
        quick && !tandemUnavailable
          ? notRun(target, 'quick run measures 1 MB only.')
          : judgeTandem(
              target,
              tandemUnavailable,
              p50('clone'),
              p50('transfer'),
              'Ratio of tinybench medians.',
            ),
      ],
      notes: [
        `Sizes ${sizes.map((s) => `${s} MB`).join(', ')}; the worker reads one byte per 4 KiB page and returns a number.`,
        '`clone / this` is how many times faster than the same pool’s clone the row is.',
      ],
    };
  },
};
