/**
 * The loop demo: the same CPU jobs run inline on the event loop, then through the engine,
 * while a 10 ms timer ticks. Inline, the loop is blocked for each job's whole length; through
 * the engine it stays free. Prints the event-loop delay of both runs and their results.
 */
import { defaultThreads, Engine, LoopDelayMonitor } from '@tandem/core';
import type tasks from './tasks.ts';
import { countPrimes } from './tasks.ts';

const jobs = Array.from({ length: 8 }, (_, i) => 8_000_000 + i * 500_000);

interface Run {
  mode: string;
  wallMs: number;
  ticks: number;
  p50: number;
  p99: number;
  max: number;
  results: number[];
}

async function measure(mode: string, work: () => Promise<number[]>): Promise<Run> {
  const monitor = new LoopDelayMonitor(1);
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 10);
  monitor.start();
  const started = performance.now();
  const results = await work();
  const wallMs = performance.now() - started;
  monitor.stop();
  clearInterval(ticker);
  const { p50, p99, max } = monitor.snapshot();
  return { mode, wallMs, ticks, p50, p99, max, results };
}

async function inline(): Promise<number[]> {
  const results: number[] = [];
  for (const limit of jobs) {
    results.push(countPrimes(limit));
    // Yield between jobs, as a well-behaved inline loop would: the loop still stalls per job.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return results;
}

const threads = defaultThreads();
await using engine = await Engine.start<typeof tasks>({
  tasks: new URL('./tasks.ts', import.meta.url),
  threads,
});
// Warm the workers so that the measured run is the steady state.
await engine.run('countPrimes', 10);

const runs = [
  await measure('inline', inline),
  await measure(`engine (${threads} thread${threads === 1 ? '' : 's'})`, () =>
    Promise.all(jobs.map((limit) => engine.run('countPrimes', limit))),
  ),
];

const fmt = (ms: number) => ms.toFixed(1).padStart(8);
console.log(`${jobs.length} prime-counting jobs, a 10 ms timer ticking meanwhile\n`);
console.log('mode                  wall ms   ticks   loop p50   loop p99   loop max');
for (const run of runs) {
  console.log(
    `${run.mode.padEnd(20)}${fmt(run.wallMs)}${String(run.ticks).padStart(8)}${fmt(run.p50)} ms${fmt(run.p99)} ms${fmt(run.max)} ms`,
  );
}
const [inlineRun, engineRun] = runs as [Run, Run];
const same = inlineRun.results.every((value, i) => value === engineRun.results[i]);
console.log(`\nresults: ${engineRun.results.join(', ')}`);
console.log(`same results inline and in the engine: ${same ? 'yes' : 'NO'}`);
console.log(
  `loop p99 through the engine is ${(inlineRun.p99 / Math.max(engineRun.p99, 0.001)).toFixed(0)}x lower than inline`,
);
if (!same) process.exitCode = 1;
