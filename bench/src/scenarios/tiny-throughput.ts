/**
 * tiny-throughput: tasks of ~5 µs. Per-task messaging costs more than the task itself here,
 * so the table holds two comparisons, each like with like:
 *
 * - batched: `engine.map` with its default batch (no option: what a user gets) against bare
 *   `postMessage` carrying the same number of items per message — the floor to approach;
 * - one message per task: `engine.run` against the other pools and bare `postMessage`, 1,000
 *   in flight.
 *
 * Inline (no thread hop at all) is the ceiling for both.
 *
 * @module
 */
import { allPeers } from '../peers/all-peers.ts';
import type { Peer } from '../peers/peer.ts';
import { RawPostMessagePeer } from '../peers/raw-post-message.ts';
import { withStartedPeers } from '../peers/started-peers.ts';
import { TandemPeer } from '../peers/tandem.ts';
import type { Row } from '../runner/result.ts';
import type { Scenario } from '../runner/scenario.ts';
import { rateOf } from '../runner/spread.ts';
import { judgeTandem } from '../runner/target.ts';
import { interleavedRounds, runWindowed, timeOnce } from '../runner/workload.ts';

const taskMicros = 5;
const inFlight = 1_000;

const groups = {
  batched: 'batched',
  perTask: 'one message per task',
  inline: 'no thread',
} as const;

const labels = {
  map: 'tandem.map (default batch)',
  rawBatched: (batch: number) => `raw postMessage batch=${batch}`,
  run: 'tandem.run',
  raw: 'raw postMessage',
  inline: 'inline',
};

const targets = {
  floor: {
    statement:
      'tandem.map (default batch) rate ≥ 0.9 × raw postMessage batched at the same size (tasks of ~5 µs)',
    comparison: '>=' as const,
    limit: 0.9,
  },
  inline: {
    statement: 'tandem.map (default batch) rate ≥ 0.7 × inline rate',
    comparison: '>=' as const,
    limit: 0.7,
  },
};

interface Contender {
  key: string;
  group: string;
  tasks: number;
  round(): Promise<number>;
}

interface Sizes {
  /** Tasks per round for the batched rows and inline. */
  batched: number;
  /** Tasks per round for the one-message-per-task rows (rates at ~10–200k/s). */
  perTask: number;
}

function chunked<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
    items.slice(i * size, (i + 1) * size),
  );
}

/** How one peer is driven: one message per task always; batched too for tandem and raw. */
function contendersFor(peer: Peer, sizes: Sizes, batch: number): Contender[] {
  const batchedInputs = new Array<number>(sizes.batched).fill(taskMicros);
  if (!peer.threaded) {
    const run = () => timeOnce(() => Promise.all(batchedInputs.map((us) => peer.run('spin', us))));
    return [{ key: labels.inline, group: groups.inline, tasks: sizes.batched, round: run }];
  }
  const perTask: Contender = {
    key: peer instanceof TandemPeer ? labels.run : peer.name,
    group: groups.perTask,
    tasks: sizes.perTask,
    round: () =>
      timeOnce(() => runWindowed(sizes.perTask, inFlight, () => peer.run('spin', taskMicros))),
  };
  if (peer instanceof TandemPeer) {
    const map: Contender = {
      key: labels.map,
      group: groups.batched,
      tasks: sizes.batched,
      round: () => timeOnce(() => peer.map('spin', batchedInputs)),
    };
    return [map, perTask];
  }
  if (peer instanceof RawPostMessagePeer) {
    const chunks = chunked(batchedInputs, batch);
    const batched: Contender = {
      key: labels.rawBatched(batch),
      group: groups.batched,
      tasks: sizes.batched,
      round: () => timeOnce(() => Promise.all(chunks.map((chunk) => peer.runBatch('spin', chunk)))),
    };
    return [batched, perTask];
  }
  return [perTask];
}

/**
 * The batch `map` uses by default for this many items, read from the engine itself; without
 * the engine, the documented rule (about 8 batches per thread, at most 512).
 */
async function mapBatch(started: readonly Peer[], tasks: number, threads: number) {
  const tandem = started.find((peer) => peer instanceof TandemPeer);
  if (tandem) return tandem.defaultMapBatch('noop', new Array<number>(tasks).fill(0));
  return Math.min(512, Math.ceil(tasks / (threads * 8)));
}

export const tinyThroughput: Scenario = {
  name: 'tiny-throughput',
  title: 'tasks of ~5 µs: batched (map vs raw at the same batch) and one message per task',
  async run({ quick, threads, tandemUnavailable, log }) {
    const rounds = quick ? 2 : 5;
    const sizes: Sizes = quick
      ? { batched: 5_000, perTask: 1_000 }
      : { batched: 100_000, perTask: 20_000 };
    const peers = allPeers({ tandem: tandemUnavailable === undefined });
    const contenders = new Map<string, Contender>();
    let batch = 0;
    const spreads = await withStartedPeers(peers, threads, log, async (started) => {
      batch = await mapBatch(started, sizes.batched, threads);
      const all = started.flatMap((peer) => contendersFor(peer, sizes, batch));
      for (const contender of all) contenders.set(contender.key, contender);
      return interleavedRounds(all, rounds, (name, error) =>
        log(`  ${name}: failed, left out (${(error as Error).message})`),
      );
    });
    const rows: Row[] = [...spreads].map(([label, ms]) => {
      const { tasks, group } = contenders.get(label)!;
      const extra = { tasks, 'round (ms)': ms.median };
      return { label, group, value: rateOf(ms, tasks * 1_000), extra };
    });
    const order = Object.values(groups) as string[];
    rows.sort((a, b) => order.indexOf(a.group!) - order.indexOf(b.group!));
    const rate = (label: string) => rows.find((row) => row.label === label)?.value.median;
    // Each row against raw postMessage driven the same way: the floor of its own comparison.
    const floors = new Map([
      [groups.batched as string, rate(labels.rawBatched(batch))],
      [groups.perTask as string, rate(labels.raw)],
    ]);
    for (const row of rows) {
      const floor = floors.get(row.group!);
      row.extra!['× raw, same batching'] = floor ? row.value.median / floor : '';
    }
    const map = rate(labels.map);
    return {
      metric: { name: 'throughput', unit: 'tasks/s', better: 'higher' },
      rows,
      targets: [
        judgeTandem(
          targets.floor,
          tandemUnavailable,
          map,
          rate(labels.rawBatched(batch)),
          `Ratio of median rates; both send ${batch} items per message.`,
        ),
        judgeTandem(
          targets.inline,
          tandemUnavailable,
          map,
          rate(labels.inline),
          'Ratio of median rates.',
        ),
      ],
      notes: [
        `Each task busy-waits ${taskMicros} µs. ${rounds} rounds interleaved; ${threads} thread(s) per pool.`,
        `batched: \`engine.map('spin', items)\` with no batch option picked ${batch} items per message for ${sizes.batched.toLocaleString('en-US')} items (read from its onProgress steps); \`${labels.rawBatched(batch)}\` sends the same ${batch}-item chunks, all at once, to a bare worker — batching with none of the work a real map does (ordering, cancellation, backpressure, errors per item): the floor to approach.`,
        `one message per task: ${sizes.perTask.toLocaleString('en-US')} tasks per round, ${inFlight.toLocaleString('en-US')} in flight, for every pool including \`tandem.run\` and bare postMessage. Compare these rows with each other, not with the batched ones.`,
        'inline runs the tasks on the main thread, one await each: the ceiling without a thread hop.',
      ],
    };
  },
};
