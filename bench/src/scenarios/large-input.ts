/**
 * large-input: one `run()` whose input is large plain data — 200k row objects, 1M numbers in a
 * plain array, a 16 MB `Uint8Array` (cloned, not transferred) — through Tandem's engine and
 * through piscina called directly. Structured clone is the same in both; what Tandem adds is
 * its check before sending (the walk that names the path of an uncloneable value), which stops
 * at a small budget on inputs this large, so the ratio is the price of the rest of `run()`. The task reads a few items and returns a small value, so the
 * return trip is not what is measured.
 *
 * @module
 */
import type { Peer } from '../peers/peer.ts';
import { PiscinaPeer } from '../peers/piscina.ts';
import { withStartedPeers } from '../peers/started-peers.ts';
import { TandemPeer } from '../peers/tandem.ts';
import type { Row, Spread, TargetResult } from '../runner/result.ts';
import type { Scenario } from '../runner/scenario.ts';
import { spreadOf } from '../runner/spread.ts';
import { judge, notRun, type TargetSpec } from '../runner/target.ts';
import { timeOnce } from '../runner/workload.ts';

const LIMIT = 1.05;

interface LargeInput {
  /** The row group and the target's name for it. */
  label: string;
  make(): unknown;
  rounds: number;
  /** Adds a row: the same bytes copied with `slice()` and moved (what a pool could do). */
  sliceAndMove?: true;
}

/** Full sizes are the issue's; quick sizes only check that the scenario runs. */
function inputsFor(quick: boolean): LargeInput[] {
  const rows = quick ? 20_000 : 200_000;
  const numbers = quick ? 100_000 : 1_000_000;
  const mebibytes = quick ? 1 : 16;
  return [
    {
      label: `${rows.toLocaleString('en-US')} row objects`,
      make: () =>
        Array.from({ length: rows }, (_, i) => ({
          id: i,
          name: `row ${i}`,
          score: i * 0.5,
          tags: ['red', 'green', `tag ${i % 7}`],
        })),
      rounds: quick ? 3 : 15,
    },
    {
      label: `${numbers.toLocaleString('en-US')} numbers`,
      make: () => Array.from({ length: numbers }, (_, i) => i * 1.5),
      rounds: quick ? 3 : 25,
    },
    {
      label: `${mebibytes} MB Uint8Array (clone)`,
      make: () => new Uint8Array(mebibytes * 2 ** 20).fill(7),
      sliceAndMove: true,
      rounds: quick ? 5 : 60,
    },
  ];
}

/** A way to send the input: a peer, as is or (for a buffer) copied first and moved. */
interface Contender {
  label: string;
  send(input: unknown): Promise<unknown>;
}

function contendersFor(peers: readonly Peer[], input: LargeInput): Contender[] {
  const contenders = peers.map((peer) => ({
    label: peer.name,
    send: (value: unknown) => peer.run('sum', value),
  }));
  const tandem = peers.find((peer) => peer.name === 'tandem');
  if (input.sliceAndMove && tandem) {
    contenders.push({
      label: 'tandem, slice() + transfer',
      send: (value) => {
        const copy = (value as Uint8Array).slice();
        return tandem.run('sum', copy, [copy.buffer]);
      },
    });
  }
  return contenders;
}

/**
 * Runs the contenders on one input for `rounds` rounds. The first two (tandem and piscina)
 * swap who goes first every round, so the garbage one run leaves behind, and any noise burst,
 * falls on both alike; the others go last, so each of the two follows them equally often.
 * One untimed run each first.
 */
async function alternatingRounds(
  contenders: readonly Contender[],
  input: unknown,
  rounds: number,
): Promise<Map<string, Spread>> {
  const times = new Map<string, number[]>(contenders.map(({ label }) => [label, []]));
  for (const { send } of contenders) await send(input);
  for (let round = 0; round < rounds; round++) {
    const [first, second, ...rest] = contenders;
    const pair = round % 2 === 0 ? [first, second] : [second, first];
    for (const contender of [...pair, ...rest]) {
      if (contender === undefined) continue;
      times.get(contender.label)!.push(await timeOnce(() => contender.send(input)));
    }
  }
  return new Map([...times].map(([label, values]) => [label, spreadOf(values)]));
}

/** The median over rounds of `a`'s time / `b`'s time in the same round. */
function pairedRatio(a: Spread, b: Spread): number {
  return spreadOf(a.values!.map((value, round) => value / b.values![round]!)).median;
}

const mean = (spread: Spread | undefined) =>
  spread?.values && spread.values.reduce((a, b) => a + b, 0) / spread.values.length;

export const largeInput: Scenario = {
  name: 'large-input',
  title: 'one `run()` with a large input: Tandem vs piscina',
  async run({ quick, threads, tandemUnavailable, log }) {
    const inputs = inputsFor(quick);
    const peers: Peer[] = [new PiscinaPeer()];
    if (tandemUnavailable === undefined) peers.unshift(new TandemPeer());
    const measured = await withStartedPeers(peers, threads, log, async (started) => {
      const results: { input: LargeInput; spreads: Map<string, Spread> }[] = [];
      for (const input of inputs) {
        log(`  ${input.label}…`);
        const contenders = contendersFor(started, input);
        results.push({
          input,
          spreads: await alternatingRounds(contenders, input.make(), input.rounds),
        });
      }
      return results;
    });

    const rows: Row[] = [];
    const targets: TargetResult[] = [];
    for (const { input, spreads } of measured) {
      const piscina = spreads.get('piscina');
      for (const [label, spread] of spreads) {
        rows.push({
          label,
          group: input.label,
          value: spread,
          extra: {
            'mean (ms)': mean(spread) ?? '',
            '× piscina p50': piscina ? spread.median / piscina.median : '',
            '× piscina mean': piscina ? mean(spread)! / mean(piscina)! : '',
            '× piscina, same round (median)': piscina ? pairedRatio(spread, piscina) : '',
          },
        });
      }
      const spec: TargetSpec = {
        statement: `one run() with ${input.label}: tandem round trip p50 ≤ ${LIMIT} × piscina`,
        comparison: '<=',
        limit: LIMIT,
      };
      const tandem = spreads.get('tandem');
      const detail =
        tandem && piscina
          ? `Ratio of medians over ${input.rounds} alternating rounds; of means ${(mean(tandem)! / mean(piscina)!).toFixed(2)}×; median of same-round ratios ${pairedRatio(tandem, piscina).toFixed(2)}×.`
          : 'a pool did not run.';
      targets.push(
        tandemUnavailable
          ? notRun(spec, `engine unavailable: ${tandemUnavailable}`)
          : quick
            ? notRun(spec, 'not judged (quick sizes).')
            : judge(spec, tandem?.median, piscina?.median, detail),
      );
    }
    return {
      metric: { name: 'round trip p50', unit: 'ms', better: 'lower' },
      rows,
      targets,
      notes: [
        `${threads} thread(s) per pool; one task in flight; each input built once and sent by structured clone (no transfer) in every round. Tandem and piscina alternate, swapping who goes first each round; the extra row goes last.`,
        'The task (`sum`) reads one item per 4,096 and returns a number (for rows, a short string), so the return trip is small.',
        '`tandem, slice() + transfer` (shown, not targeted): the same bytes copied with `slice()` on the loop and moved, one copy where structured clone makes two (into the message, out of it).',
        "Why a big clone through piscina is slower than a bare postMessage: piscina writes fields after the task, which makes V8 grow the message buffer to twice the data just after copying it in; glibc serves buffers that size from a fresh mmap, so every send page-faults 16–32 MB anew (4,100–8,200 minor faults per 16 MB send here, against ~0 for a bare postMessage). Tandem's own message ends with its input, so it does not pay this.",
        'What Tandem adds: its pre-send check (`inspectValue`, which names the path of anything structured clone would refuse) stops after about a quarter of a millisecond of work on a `run()` input; past that, postMessage is the check and a refusal is located afterwards (docs/dispatch.md). The rest of the round trip is the clone.',
      ],
    };
  },
};
