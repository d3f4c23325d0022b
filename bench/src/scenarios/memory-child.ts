/**
 * One memory measurement, in a process of its own so its peak RSS is its own:
 * `node --import tsx memory-child.ts <peer> <items> <threads>` streams `items` numbers through
 * the peer in chunks (a bounded window, nothing accumulated) and prints one JSON line.
 * Run by the memory scenario; not a scenario itself.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { InlinePeer } from '../peers/inline.ts';
import type { Peer } from '../peers/peer.ts';
import { RawPostMessagePeer } from '../peers/raw-post-message.ts';
import { TandemPeer } from '../peers/tandem.ts';

export interface MemoryProbe {
  /** Highest RSS seen by sampling every 10 ms, MiB. */
  sampledPeakMiB: number;
  /**
   * The kernel's high-water mark for this process image (`VmHWM` in /proc/self/status), MiB;
   * the sampled peak where /proc does not exist. Not `resourceUsage().maxRSS`: on Linux that
   * carries over the parent's peak through fork + exec, so every child reported the parent's.
   */
  peakRssMiB: number;
  /**
   * Main-thread heap still in use after the stream and a forced full GC, MiB. Telling a leak
   * (this grows with the input) from V8 merely sizing its heap to the allocation rate (it
   * does not).
   */
  retainedHeapMiB: number;
  /** Time spent streaming, ms (start-up excluded). */
  ms: number;
  items: number;
}

const chunkSize = 1_024;

function highWaterMarkMiB(): number | undefined {
  try {
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib) / 1_024;
  } catch {
    return undefined;
  }
}
const chunksInFlight = 4;

function* chunks(items: number): Generator<number[]> {
  for (let start = 0; start < items; start += chunkSize) {
    const length = Math.min(chunkSize, items - start);
    yield Array.from({ length }, (_, i) => start + i);
  }
}

/** One chunk through the peer: tandem batches it in one `map`, the others run item by item. */
function processChunk(peer: Peer, chunk: number[]): Promise<unknown[]> {
  if (peer instanceof TandemPeer) return peer.map('noop', chunk, 256);
  return Promise.all(chunk.map((x) => peer.run('noop', x)));
}

async function stream(peer: Peer, items: number): Promise<number> {
  let checksum = 0;
  const source = chunks(items);
  const lane = async (): Promise<void> => {
    for (let next = source.next(); !next.done; next = source.next()) {
      for (const value of await processChunk(peer, next.value)) checksum += value as number;
    }
  };
  await Promise.all(Array.from({ length: chunksInFlight }, lane));
  return checksum;
}

const peers: Record<string, () => Peer> = {
  tandem: () => new TandemPeer(),
  'raw postMessage': () => new RawPostMessagePeer(),
  inline: () => new InlinePeer(),
};

async function main(): Promise<void> {
  const [name = '', items = '0', threads = '1'] = process.argv.slice(2);
  const peer = peers[name]?.();
  if (!peer)
    throw new RangeError(`Expected a peer in ${Object.keys(peers).join(', ')}, got ${name}`);
  let sampledPeak = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss());
  }, 10);
  await peer.start(Number(threads));
  const start = performance.now();
  const checksum = await stream(peer, Number(items));
  const ms = performance.now() - start;
  // Started with --expose-gc by the memory scenario.
  (globalThis as { gc?: () => void }).gc?.();
  const retainedHeapMiB = process.memoryUsage().heapUsed / 2 ** 20;
  await peer.close();
  clearInterval(sampler);
  const expected = (Number(items) * (Number(items) - 1)) / 2;
  if (checksum !== expected) throw new Error(`Checksum ${checksum}, expected ${expected}`);
  const probe: MemoryProbe = {
    sampledPeakMiB: Math.max(sampledPeak, process.memoryUsage.rss()) / 2 ** 20,
    peakRssMiB: highWaterMarkMiB() ?? sampledPeak / 2 ** 20,
    retainedHeapMiB,
    ms,
    items: Number(items),
  };
  process.stdout.write(`${JSON.stringify(probe)}\n`);
}

await main();
