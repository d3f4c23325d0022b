/**
 * python-anchor: the recipe Tandem comes from — Python's asyncio with a
 * `ProcessPoolExecutor(cpu_count() - 1)` behind `run_in_executor` — timed the same way as
 * tandem and piscina in this run. Clearly an anchor, not a peer: the per-task overhead is
 * comparable (both hop to another worker and back), CPU speed is not (another language).
 * Skipped, with a note, when `python3` is not on the PATH.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Peer } from '../peers/peer.ts';
import { PiscinaPeer } from '../peers/piscina.ts';
import { withStartedPeers } from '../peers/started-peers.ts';
import { TandemPeer } from '../peers/tandem.ts';
import type { Row, Spread } from '../runner/result.ts';
import type { Scenario } from '../runner/scenario.ts';
import { spreadOf } from '../runner/spread.ts';
import { runWindowed, timeOnce } from '../runner/workload.ts';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../python/process-pool-anchor.py', import.meta.url));
const anchorLabel = 'python ProcessPoolExecutor (anchor)';

/** Median of `calls` sequential no-op round trips, µs — the statistic the Python side uses. */
async function roundTripP50(peer: Peer, calls: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    await peer.run('noop', i);
    samples.push((performance.now() - start) * 1_000);
  }
  return spreadOf(samples).median;
}

interface AnchorOutput {
  roundTripUs: number[];
  throughputMs: number[];
  workers: number;
}

export const pythonAnchor: Scenario = {
  name: 'python-anchor',
  title: 'the asyncio + ProcessPoolExecutor recipe, per-task cost (anchor, not a peer)',
  async run({ quick, threads, tandemUnavailable, log }) {
    const [calls, tasks, inFlight, rounds] = quick
      ? [200, 2_000, 1_000, 2]
      : [2_000, 20_000, 1_000, 5];
    const rows: Row[] = [];
    // µs per task, so both the sequential and the windowed figure read "lower is better".
    const addRows = (label: string, trips: number[], windows: number[]) => {
      rows.push({ label, group: 'sequential round trip p50', value: spreadOf(trips) });
      const perTask = windows.map((ms) => (ms * 1_000) / tasks);
      rows.push({
        label,
        group: `${inFlight.toLocaleString('en-US')} in flight`,
        value: spreadOf(perTask),
      });
    };
    const peers: Peer[] = [...(tandemUnavailable ? [] : [new TandemPeer()]), new PiscinaPeer()];
    await withStartedPeers(peers, threads, log, async (started) => {
      for (const peer of started) {
        const trips: number[] = [];
        const windows: number[] = [];
        for (let round = 0; round < rounds; round++) {
          trips.push(await roundTripP50(peer, calls));
          windows.push(
            await timeOnce(() => runWindowed(tasks, inFlight, (i) => peer.run('noop', i))),
          );
        }
        addRows(peer.name, trips, windows);
      }
    });
    const notes = [
      `Per round: ${calls.toLocaleString('en-US')} sequential no-op calls (their p50), then ${tasks.toLocaleString('en-US')} no-ops with ${inFlight} in flight (reported as µs per task); ${rounds} rounds.`,
      'An anchor, not a target: per-task overhead is comparable with the Node rows, CPU speed is not.',
    ];
    try {
      const { stdout } = await run('python3', [
        script,
        ...[calls, tasks, inFlight, rounds].map(String),
      ]);
      const anchor = JSON.parse(stdout.trim()) as AnchorOutput;
      addRows(anchorLabel, anchor.roundTripUs, anchor.throughputMs);
      if (anchor.workers !== threads) {
        notes.push(
          `Python used ${anchor.workers} process(es) (cpu_count() - 1); Node pools used ${threads} thread(s).`,
        );
      }
    } catch (error) {
      notes.push(`Python anchor not run: ${(error as Error).message.split('\n')[0]}`);
    }
    // Order by case so the two groups read as two small tables.
    rows.sort((a, b) => (a.group ?? '').localeCompare(b.group ?? ''));
    const byGroup = (group: string, label: string): Spread | undefined =>
      rows.find((row) => row.group === group && row.label === label)?.value;
    for (const row of rows) {
      const python = byGroup(row.group!, anchorLabel);
      if (python) row.extra = { '× python': row.value.median / python.median };
    }
    return {
      metric: { name: 'per-task cost', unit: 'µs', better: 'lower' },
      rows,
      targets: [],
      notes,
    };
  },
};
