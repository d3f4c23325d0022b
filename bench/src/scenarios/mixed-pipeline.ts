/**
 * mixed-pipeline: a workload where the I/O path is the longer one and where the CPU, run on
 * the loop, stands in the I/O's way. Several crawls run at once; each fetches pages one after
 * another (the next request leaves only once the previous page is in, as with a paginated API)
 * and hands every page's CPU work (~4 ms) to `peer.run` without waiting for it. The code is the
 * same for every row; only the peer under `run` differs. Inline, `run` executes the CPU on the
 * spot, so the loop cannot issue the next request of any crawl meanwhile; in a pool the crawls
 * keep fetching while the CPU runs elsewhere.
 *
 * The ideal is the longer of the two paths run alone — the crawls' I/O with no CPU, or the
 * CPU spread over the threads — since a good engine overlaps them completely.
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
import { judgeTandem } from '../runner/target.ts';
import { type Contender, interleavedRounds, timeOnce } from '../runner/workload.ts';

const ioMs = 20;
const cpuMicros = 4_000;
const crawls = 4;

const target = {
  statement: 'tandem time ≤ 1.2 × ideal max(I/O path, CPU / threads) (crawls with CPU per page)',
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

const labels = { io: 'I/O only (crawls, no CPU)', cpu: 'CPU only (inline, back to back)' };

/**
 * `crawls` crawls at once, each fetching `pages` pages in sequence and passing each page's CPU
 * to `cpu` (or to nothing, for the I/O-only row) without awaiting it; resolves when every
 * page is fetched and every CPU task has settled.
 */
function crawlAll(url: string, pages: number, cpu: Peer | undefined): () => Promise<number> {
  const crawl = async (): Promise<void> => {
    const work: Promise<unknown>[] = [];
    for (let page = 0; page < pages; page++) {
      await (await fetch(url)).text();
      if (cpu) work.push(cpu.run('spin', cpuMicros));
    }
    await Promise.all(work);
  };
  return () => timeOnce(() => Promise.all(Array.from({ length: crawls }, crawl)));
}

function variants(url: string, pages: number, pools: readonly Peer[]): Contender<string>[] {
  const inline = new InlinePeer();
  const cpuOnly = async () => {
    for (let i = 0; i < crawls * pages; i++) await inline.run('spin', cpuMicros);
  };
  return [
    { key: labels.io, round: crawlAll(url, pages, undefined) },
    { key: labels.cpu, round: () => timeOnce(cpuOnly) },
    { key: 'inline', round: crawlAll(url, pages, inline) },
    ...pools.map((peer) => ({ key: peer.name, round: crawlAll(url, pages, peer) })),
  ];
}

export const mixedPipeline: Scenario = {
  name: 'mixed-pipeline',
  title: `${crawls} crawls at once: pages fetched one after another (~${ioMs} ms each), ~${cpuMicros / 1_000} ms of CPU per page`,
  async run({ quick, threads, tandemUnavailable, log }) {
    const pages = quick ? 5 : 25;
    const rounds = quick ? 2 : 5;
    const server = await startSlowServer();
    try {
      await fetch(server.url).then((response) => response.text()); // loads undici: not timed
      const peers: Peer[] = [new PiscinaPeer(), ...(tandemUnavailable ? [] : [new TandemPeer()])];
      const spreads = await withStartedPeers(peers, threads, log, (started) =>
        interleavedRounds(variants(server.url, pages, started), rounds, (name, error) =>
          log(`  ${name}: failed, left out (${(error as Error).message})`),
        ),
      );
      const io = spreads.get(labels.io)!.median;
      const cpu = spreads.get(labels.cpu)!.median;
      const ideal = Math.max(io, cpu / threads);
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
          judgeTandem(
            target,
            tandemUnavailable,
            spreads.get('tandem')?.median,
            ideal,
            'ideal = max(I/O only, CPU only / threads), both measured in this run.',
          ),
        ],
        notes: [
          `${crawls} crawls at once, ${pages} pages each, fetched one after another from 127.0.0.1 (answered after ${ioMs} ms); each page's ${cpuMicros / 1_000} ms of CPU is handed to \`run\` and not awaited until the crawl ends. ${rounds} rounds; ${threads} thread(s) per pool.`,
          `Why this workload: the I/O path (${io.toFixed(0)} ms) is longer than the CPU path (${cpu.toFixed(0)} ms in all, ${(cpu / threads).toFixed(0)} ms per thread), so the ideal is set by the I/O, and the I/O is a chain of requests that only the loop can issue. Inline, each page's CPU holds the loop: a crawl's next request waits for its own page's CPU (at least ${pages} × ${cpuMicros / 1_000} ms per crawl) and for whatever CPU of the other crawls is running, so inline lands well above the ideal. A pool keeps the loop free to fetch. (With the CPU path the longer one — as in this scenario's earlier version, 5 ms of CPU after 20 ms of concurrent I/O per item on 1 thread — inline and every pool tie near the CPU path and the target cannot tell designs apart.)`,
        ],
      };
    } finally {
      server.close();
    }
  },
};
