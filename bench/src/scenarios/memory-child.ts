/**
 * One memory measurement, in a process of its own so its peak RSS is its own:
 * `node --import tsx memory-child.ts <peer> <items> <threads>` streams `items` numbers through
 * the peer in chunks (a bounded window, nothing accumulated) and prints one JSON line. `<peer>`
 * is a driver name: `tandem`, `raw batched`, `raw postMessage` or `inline`.
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
  /** Messages sent to the workers (one per batch, or one per item); 0 inline. */
  messages: number;
}

const chunkSize = 1_024;
/** Items per message where a peer batches: tandem's `map` and the batched raw peer alike. */
const itemsPerMessage = 256;

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

/** How a chunk goes through a peer, and how many messages that takes. */
interface Driver {
  peer: Peer;
  processChunk(chunk: number[]): Promise<unknown[]>;
  messages(chunk: number[]): number;
}

const batches = (chunk: number[]) => Math.ceil(chunk.length / itemsPerMessage);

function oneByOne(peer: Peer): Driver {
  return {
    peer,
    processChunk: (chunk) => Promise.all(chunk.map((x) => peer.run('noop', x))),
    messages: (chunk) => (peer.threaded ? chunk.length : 0),
  };
}

/**
 * The drivers by name (the command line's first argument): tandem batches each chunk in one
 * `map`; the batched raw peer sends the same batches, so the two are compared at equal
 * message counts; the others run item by item.
 */
const drivers: Record<string, () => Driver> = {
  tandem: () => {
    const peer = new TandemPeer();
    return {
      peer,
      processChunk: (chunk) => peer.map('noop', chunk, itemsPerMessage),
      messages: batches,
    };
  },
  'raw batched': () => {
    const peer = new RawPostMessagePeer();
    return {
      peer,
      processChunk: async (chunk) => {
        const parts = Array.from({ length: batches(chunk) }, (_, i) =>
          chunk.slice(i * itemsPerMessage, (i + 1) * itemsPerMessage),
        );
        return (await Promise.all(parts.map((part) => peer.runBatch('noop', part)))).flat();
      },
      messages: batches,
    };
  },
  'raw postMessage': () => oneByOne(new RawPostMessagePeer()),
  inline: () => oneByOne(new InlinePeer()),
};

async function stream(
  driver: Driver,
  items: number,
): Promise<{ checksum: number; messages: number }> {
  let checksum = 0;
  let messages = 0;
  const source = chunks(items);
  const lane = async (): Promise<void> => {
    for (let next = source.next(); !next.done; next = source.next()) {
      messages += driver.messages(next.value);
      for (const value of await driver.processChunk(next.value)) checksum += value as number;
    }
  };
  await Promise.all(Array.from({ length: chunksInFlight }, lane));
  return { checksum, messages };
}

async function main(): Promise<void> {
  const [name = '', items = '0', threads = '1'] = process.argv.slice(2);
  const driver = drivers[name]?.();
  if (!driver)
    throw new RangeError(`Expected a peer in ${Object.keys(drivers).join(', ')}, got ${name}`);
  const { peer } = driver;
  let sampledPeak = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss());
  }, 10);
  await peer.start(Number(threads));
  const start = performance.now();
  const { checksum, messages } = await stream(driver, Number(items));
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
    messages,
  };
  process.stdout.write(`${JSON.stringify(probe)}\n`);
}

await main();
