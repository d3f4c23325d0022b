/**
 * dispatch-throughput: no-op `run()` calls, 1,000 in flight, on a fresh pool every 10,000
 * tasks (start, run 10,000, close; five times). This is what a short-lived process or a new
 * engine gets before any adaptive policy has warmed up, and what a one-message-per-task
 * dispatch costs against the thread hop itself: bare `postMessage` with one message per task.
 * Bare `postMessage` with several tasks per message is the floor that only coalescing
 * `run()` calls into shared messages could approach.
 *
 * @module
 */
import type { Peer } from '../peers/peer.ts';
import { PoolifierPeer } from '../peers/poolifier.ts';
import { RawPostMessagePeer } from '../peers/raw-post-message.ts';
import { withFreshPeer } from '../peers/started-peers.ts';
import { TandemPeer } from '../peers/tandem.ts';
import type { Row } from '../runner/result.ts';
import type { Scenario } from '../runner/scenario.ts';
import { rateOf } from '../runner/spread.ts';
import { judgeTandem } from '../runner/target.ts';
import { type Contender, interleavedRounds, runWindowed, timeOnce } from '../runner/workload.ts';

const inFlight = 1_000;
/** Items per message of the batched raw rows: the issue's two candidate coalescing sizes. */
const rawBatches = [64, 256];

const labels = {
  tandem: 'tandem.run',
  poolifier: 'poolifier',
  raw: 'raw postMessage, 1 per message',
  rawBatched: (batch: number) => `raw postMessage, ${batch} per message`,
};

const targets = {
  poolifier: {
    statement: 'tandem.run rate ≥ 1.0 × poolifier (no-ops, 1,000 in flight, fresh pool per 10k)',
    comparison: '>=' as const,
    limit: 1,
  },
  raw: {
    statement:
      'tandem.run rate ≥ 0.5 × raw postMessage, one message per task (same workload, fresh worker per 10k)',
    comparison: '>=' as const,
    limit: 0.5,
  },
};

export const dispatchThroughput: Scenario = {
  name: 'dispatch-throughput',
  title: 'no-op `run` calls, 1,000 in flight, a fresh pool per 10,000 tasks',
  async run({ quick, threads, tandemUnavailable, log }) {
    const perPool = quick ? 2_000 : 10_000;
    const rounds = quick ? 2 : 5;
    const inputs = Array.from({ length: perPool }, (_, i) => i);

    /** One round: a new pool, made ready, timed over `perPool` tasks, closed. */
    const fresh =
      (make: () => Peer, work: (peer: Peer) => Promise<unknown>) => (): Promise<number> =>
        withFreshPeer(make(), threads, log, (peer) => timeOnce(() => work(peer)));
    const oneByOne = (peer: Peer) => runWindowed(perPool, inFlight, (i) => peer.run('noop', i));
    const batched = (batch: number) => (peer: Peer) => {
      const raw = peer as RawPostMessagePeer;
      const chunks = Array.from({ length: Math.ceil(perPool / batch) }, (_, i) =>
        inputs.slice(i * batch, (i + 1) * batch),
      );
      return runWindowed(chunks.length, Math.ceil(inFlight / batch), (i) =>
        raw.runBatch('noop', chunks[i]!),
      );
    };
    const contenders: Contender<string>[] = [
      ...(tandemUnavailable
        ? []
        : [{ key: labels.tandem, round: fresh(() => new TandemPeer(), oneByOne) }]),
      { key: labels.poolifier, round: fresh(() => new PoolifierPeer(), oneByOne) },
      { key: labels.raw, round: fresh(() => new RawPostMessagePeer(), oneByOne) },
      ...rawBatches.map((batch) => ({
        key: labels.rawBatched(batch),
        round: fresh(() => new RawPostMessagePeer(), batched(batch)),
      })),
    ];
    const spreads = await interleavedRounds(contenders, rounds, (name, error) =>
      log(`  ${name}: failed, left out (${(error as Error).message})`),
    );
    const rows: Row[] = [...spreads].map(([label, ms]) => ({
      label,
      value: rateOf(ms, perPool * 1_000),
      extra: { 'round (ms)': ms.median },
    }));
    const rate = (label: string) => rows.find((row) => row.label === label)?.value.median;
    const columns: [string, number | undefined][] = [
      ['× poolifier', rate(labels.poolifier)],
      ['× raw, 1 per message', rate(labels.raw)],
      ...rawBatches.map((batch): [string, number | undefined] => [
        `× raw, ${batch} per message`,
        rate(labels.rawBatched(batch)),
      ]),
    ];
    for (const row of rows) {
      for (const [column, base] of columns)
        row.extra![column] = base ? row.value.median / base : '';
    }
    const tandem = rate(labels.tandem);
    const raw = rate(labels.raw);
    const detail = `Ratio of median rates over ${rounds} fresh pools each.`;
    return {
      metric: { name: 'throughput', unit: 'tasks/s', better: 'higher' },
      rows,
      targets: [
        judgeTandem(targets.poolifier, tandemUnavailable, tandem, rate(labels.poolifier), detail),
        judgeTandem(targets.raw, tandemUnavailable, tandem, raw, detail),
      ],
      notes: [
        `${perPool.toLocaleString('en-US')} no-op tasks per round, ${inFlight.toLocaleString('en-US')} in flight, ${rounds} rounds interleaved; every round starts a new pool (or new bare workers) with ${threads} thread(s), checks that every thread answers (a few 1 ms tasks, untimed), times the tasks, and closes it. Start-up and close are not timed.`,
        `The aim behind the 0.5 × target is 1 × raw one-per-message (${tandem && raw ? `this run: ${(tandem / raw).toFixed(2)} ×` : 'not measured in this run'}): one message per task cannot beat bare postMessage, so only carrying several run() calls per message can get there.`,
        `\`raw postMessage, N per message\` sends the same no-ops N to a message with ${inFlight.toLocaleString('en-US')} in flight (${rawBatches.map((b) => `${Math.ceil(inFlight / b)} messages of ${b}`).join(', ')}): the floor a coalescing dispatch approaches, shown and not targeted. The engine does not expose the size it coalesces to, so both of the sizes in question are shown.`,
      ],
    };
  },
};
