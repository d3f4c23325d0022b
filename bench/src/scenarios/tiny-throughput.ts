/**
 * tiny-throughput: 100,000 tasks of ~5 µs. Per-task messaging costs more than the task itself
 * here, so the only way to win is to carry many items per message: Tandem's `map` batches,
 * the other pools send one message per task (1,000 in flight), inline pays no hop at all.
 * A batched raw postMessage row shows what batching alone buys, with nothing a real `map` does.
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
import { judge, notRun } from '../runner/target.ts';
import { interleavedRounds, runWindowed, timeOnce } from '../runner/workload.ts';

const taskMicros = 5;
const batch = 256;
const labels = {
  tandem: `tandem.map batch=${batch}`,
  raw: 'raw postMessage',
  rawBatched: `raw postMessage batch=${batch}`,
};

const targets = {
  floor: {
    statement: 'tandem.map (batched) rate ≥ raw postMessage rate (100k tasks of ~5 µs)',
    comparison: '>=' as const,
    limit: 1,
  },
  inline: {
    statement: 'tandem.map (batched) rate ≥ 0.7 × inline rate',
    comparison: '>=' as const,
    limit: 0.7,
  },
};

interface Contender {
  key: string;
  tasks: number;
  round(): Promise<number>;
}

/** Per-task pools at ~10–40k/s would take minutes for 100k × 5 rounds; their rate is the same. */
function tasksFor(peer: Peer, quick: boolean): number {
  const full = peer instanceof TandemPeer || peer instanceof RawPostMessagePeer || !peer.threaded;
  if (quick) return full ? 5_000 : 1_000;
  return full ? 100_000 : 20_000;
}

/** How one peer is driven: batched where it can be (two ways for raw), one task per call else. */
function contendersFor(peer: Peer, quick: boolean): Contender[] {
  const tasks = tasksFor(peer, quick);
  const inputs = new Array<number>(tasks).fill(taskMicros);
  const oneByOne: Contender = {
    key: peer.name,
    tasks,
    round: () => timeOnce(() => runWindowed(tasks, 1_000, () => peer.run('spin', taskMicros))),
  };
  if (peer instanceof TandemPeer) {
    return [
      { key: labels.tandem, tasks, round: () => timeOnce(() => peer.map('spin', inputs, batch)) },
    ];
  }
  if (peer instanceof RawPostMessagePeer) {
    const chunks = Array.from({ length: Math.ceil(tasks / batch) }, (_, i) =>
      inputs.slice(i * batch, (i + 1) * batch),
    );
    const batched: Contender = {
      key: labels.rawBatched,
      tasks,
      round: () => timeOnce(() => Promise.all(chunks.map((chunk) => peer.runBatch('spin', chunk)))),
    };
    return [oneByOne, batched];
  }
  return [oneByOne];
}

export const tinyThroughput: Scenario = {
  name: 'tiny-throughput',
  title: 'tasks of ~5 µs: batched map vs one message per task vs inline',
  async run({ quick, threads, tandemUnavailable, log }) {
    const rounds = quick ? 2 : 5;
    const peers = allPeers({ tandem: tandemUnavailable === undefined });
    const tasksByKey = new Map<string, number>();
    const spreads = await withStartedPeers(peers, threads, log, (started) => {
      const contenders = started.flatMap((peer) => contendersFor(peer, quick));
      for (const { key, tasks } of contenders) tasksByKey.set(key, tasks);
      return interleavedRounds(contenders, rounds, (name, error) =>
        log(`  ${name}: failed, left out (${(error as Error).message})`),
      );
    });
    const rows: Row[] = [...spreads].map(([label, ms]) => {
      const tasks = tasksByKey.get(label)!;
      return { label, value: rateOf(ms, tasks * 1_000), extra: { tasks, 'round (ms)': ms.median } };
    });
    const rate = (label: string) => rows.find((row) => row.label === label)?.value.median;
    const piscina = rate('piscina');
    if (piscina) for (const row of rows) row.extra!['× piscina'] = row.value.median / piscina;
    const unavailable = `engine unavailable: ${tandemUnavailable}`;
    return {
      metric: { name: 'throughput', unit: 'tasks/s', better: 'higher' },
      rows,
      targets: tandemUnavailable
        ? [notRun(targets.floor, unavailable), notRun(targets.inline, unavailable)]
        : [
            judge(targets.floor, rate(labels.tandem), rate(labels.raw), 'Ratio of median rates.'),
            judge(targets.inline, rate(labels.tandem), rate('inline'), 'Ratio of median rates.'),
          ],
      notes: [
        `Each task busy-waits ${taskMicros} µs. ${rounds} rounds interleaved; ${threads} thread(s) per pool.`,
        'Per-task pools (piscina, tinypool, workerpool, poolifier) run fewer tasks per round (the `tasks` column) to keep the run short; rates are comparable.',
        `\`${labels.rawBatched}\` sends all ${batch}-item chunks at once to a bare worker: what batching alone buys, not a target.`,
        'inline runs the tasks on the main thread, one await each: the ceiling without a thread hop.',
      ],
    };
  },
};
