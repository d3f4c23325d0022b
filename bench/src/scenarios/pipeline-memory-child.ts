/**
 * One pipeline-memory measurement, in a process of its own so that its peak RSS is its own:
 * `node --expose-gc --import tsx pipeline-memory-child.ts <sync|async> <items> <threads>`
 * streams `items` numbers from a generator (sync or async) through two loop stages and a
 * batched `.cpu` stage into `run()`, and prints one JSON line (a `MemoryProbe`). Run by the
 * pipeline-memory scenario; not a scenario itself.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { Engine } from '@tandem/core';
import type engineTasks from '../workers/engine-tasks.mjs';
import type { MemoryProbe } from './memory-child.ts';

export interface PipelineMemoryProbe extends Omit<MemoryProbe, 'messages'> {
  /**
   * Main-thread heap in use after a forced full GC taken mid-run (from a tap, once 60 % of the
   * items are through), MiB: what the pipeline holds while it runs. Flat across sizes means
   * nothing accumulates per item; `retainedHeapMiB` (after the run) cannot tell, since a run
   * that ends releases everything.
   */
  midRunHeapMiB: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** The kernel's high-water mark for this process (VmHWM), MiB; see memory-child.ts for why. */
function highWaterMarkMiB(): number | undefined {
  try {
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib) / 1_024;
  } catch {
    return undefined;
  }
}

function* numbers(items: number): Generator<number> {
  for (let i = 0; i < items; i++) yield i;
}

async function* numbersAsync(items: number): AsyncGenerator<number> {
  for (let i = 0; i < items; i++) yield i;
}

async function main(): Promise<void> {
  const [kind = '', itemsText = '0', threadsText = '1'] = process.argv.slice(2);
  const items = Number(itemsText);
  if (kind !== 'sync' && kind !== 'async') {
    throw new RangeError(`Expected the source kind sync or async, got ${kind}`);
  }
  let sampledPeak = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss());
  }, 10);
  const engine = await Engine.start<typeof engineTasks>({
    tasks: new URL('../workers/engine-tasks.mjs', import.meta.url),
    threads: Number(threadsText),
    execArgv: [], // plain JavaScript: no tsx in the workers
  });
  let checksum = 0;
  let outputs = 0;
  let midRunHeapMiB = Number.NaN;
  const midRun = Math.floor(items * 0.6) - Math.ceil((items * 0.6) / 3);
  const start = performance.now();
  const report = await engine
    .pipeline(kind === 'sync' ? numbers(items) : numbersAsync(items))
    .map((n) => n * 2)
    .filter((n) => n % 3 !== 0)
    .cpu('noop', { batch: 256 })
    .tap((n) => {
      checksum += n;
      if (++outputs === midRun && gc) {
        gc();
        midRunHeapMiB = process.memoryUsage().heapUsed / 2 ** 20;
      }
    })
    .run();
  const ms = performance.now() - start;
  // Started with --expose-gc by the scenario.
  gc?.();
  const retainedHeapMiB = process.memoryUsage().heapUsed / 2 ** 20;
  await engine.close();
  clearInterval(sampler);
  // Sum of the even numbers 2i (i < items) that 3 does not divide.
  let expected = 0;
  for (let i = 0; i < items; i++) if ((2 * i) % 3 !== 0) expected += 2 * i;
  if (checksum !== expected || report.read !== items) {
    throw new Error(`Checksum ${checksum} (expected ${expected}), read ${report.read} of ${items}`);
  }
  const probe: PipelineMemoryProbe = {
    sampledPeakMiB: Math.max(sampledPeak, process.memoryUsage.rss()) / 2 ** 20,
    peakRssMiB: highWaterMarkMiB() ?? sampledPeak / 2 ** 20,
    retainedHeapMiB,
    midRunHeapMiB,
    ms,
    items,
  };
  process.stdout.write(`${JSON.stringify(probe)}\n`);
}

await main();
