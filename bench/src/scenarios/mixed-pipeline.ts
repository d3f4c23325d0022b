/**
 * mixed-pipeline: every item does ~20 ms of I/O (a request to a local HTTP server that answers
 * after 20 ms) and then ~5 ms of CPU. The ideal is the longer of the two paths run alone —
 * all the I/O concurrently, or the CPU spread over the threads — because a good engine
 * overlaps them. Sequential and inline `Promise.all` are shown for scale.
 *
 * @module
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InlinePeer } from '../peers/inline.ts';
import type { Peer } from '../peers/peer.ts';
import { PiscinaPeer } from '../peers/piscina.ts';
import { withStartedPeers } from '../peers/started-peers.ts';
import { TandemPeer } from '../peers/tandem.ts';
import type { Row, Spread } from '../runner/result.ts';
import type { Scenario } from '../runner/scenario.ts';
import { judge, notRun } from '../runner/target.ts';
import { type Contender, interleavedRounds, timeOnce } from '../runner/workload.ts';

const ioMs = 20;
const cpuMicros = 5_000;

const target = {
  statement: 'tandem pipeline time ≤ 1.2 × ideal max(I/O path, CPU / threads)',
  comparison: '<=' as const,
  limit: 1.2,
};

/** A server on 127.0.0.1, port chosen by the OS, answering every request after `ioMs`. */
async function startSlowServer() {
  const server = createServer((_request, response) => {
    setTimeout(() => response.end('ok'), ioMs);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}

const labels = { io: 'I/O only (all concurrent)', cpu: 'CPU only (inline)' };

/**
 * Every variant runs the same item — one request, then the CPU — and differs only in where
 * the CPU runs and whether items overlap. The two "only" rows measure the ideal's two paths.
 */
function variants(url: string, items: number, pools: readonly Peer[]): Contender<string>[] {
  const indices = Array.from({ length: items }, (_, i) => i);
  const inline = new InlinePeer();
  const io = async (): Promise<void> => {
    await (await fetch(url)).text();
  };
  const item = (cpu: Peer) => async () => {
    await io();
    await cpu.run('spin', cpuMicros);
  };
  const concurrently = (one: () => Promise<void>) => () =>
    timeOnce(() => Promise.all(indices.map(one)));
  const oneAfterAnother = (one: () => Promise<unknown>) => () =>
    timeOnce(async () => {
      for (const _ of indices) await one();
    });
  return [
    { key: labels.io, round: concurrently(io) },
    { key: labels.cpu, round: oneAfterAnother(() => inline.run('spin', cpuMicros)) },
    { key: 'sequential', round: oneAfterAnother(item(inline)) },
    { key: 'inline Promise.all', round: concurrently(item(inline)) },
    ...pools.map((peer) => ({ key: peer.name, round: concurrently(item(peer)) })),
  ];
}

export const mixedPipeline: Scenario = {
  name: 'mixed-pipeline',
  title: '~20 ms of HTTP I/O then ~5 ms of CPU per item',
  async run({ quick, threads, tandemUnavailable, log }) {
    const items = quick ? 10 : 100;
    const rounds = quick ? 2 : 5;
    const server = await startSlowServer();
    try {
      await fetch(server.url).then((response) => response.text()); // loads undici: not timed
      const peers: Peer[] = [new PiscinaPeer(), ...(tandemUnavailable ? [] : [new TandemPeer()])];
      const spreads = await withStartedPeers(peers, threads, log, (started) =>
        interleavedRounds(variants(server.url, items, started), rounds, (name, error) =>
          log(`  ${name}: failed, left out (${(error as Error).message})`),
        ),
      );
      const ideal = Math.max(
        spreads.get(labels.io)!.median,
        spreads.get(labels.cpu)!.median / threads,
      );
      const idealRow: Spread = { median: ideal, min: ideal, max: ideal, count: 1 };
      const rows: Row[] = [
        ...[...spreads].map(([label, value]) => ({
          label,
          value,
          extra: { '× ideal': value.median / ideal },
        })),
        { label: 'ideal', value: idealRow, extra: { '× ideal': 1 } },
      ];
      return {
        metric: { name: 'time', unit: 'ms', better: 'lower' },
        rows,
        targets: [
          tandemUnavailable
            ? notRun(target, `engine unavailable: ${tandemUnavailable}`)
            : judge(
                target,
                spreads.get('tandem')?.median,
                ideal,
                'ideal = max(I/O only, CPU only / threads), both measured in this run.',
              ),
        ],
        notes: [
          `${items} items, all started at once; each does one fetch to 127.0.0.1 (answered after ${ioMs} ms) then ${cpuMicros / 1_000} ms of CPU; ${rounds} rounds; ${threads} thread(s) per pool.`,
        ],
      };
    } finally {
      server.close();
    }
  },
};
