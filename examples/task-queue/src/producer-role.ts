/**
 * `--role producer`: publishes the jobs and awaits their results. The engine is the same
 * `Engine` as everywhere in Tandem, started on the BullMQ backend instead of local threads:
 * `engine.run('countPrimes', range, { signal, onProgress })` is typed by the task module
 * (`import type`, never loaded here), and its promise settles when a worker process on any
 * machine has run the job. Interrupted, the jobs still queued are removed and the running
 * ones cancelled (their task's `ctx.checkpoint()` throws).
 *
 * @module
 */
import { bullmq } from '@tandem/bullmq';
import { Engine } from '@tandem/core';
import type { Config } from './cli-options.ts';
import { startDashboard } from './dashboard.ts';
import type { Output } from './output.ts';
import type tasks from './tasks.ts';
import type { Counted } from './tasks.ts';

export interface ProducerOutcome {
  readonly ok: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly primes: number;
  readonly ms: number;
}

const number = (n: number) => n.toLocaleString('en-US');

/** Says once, after a few seconds, that no worker is up: a producer alone waits for ever. */
const NO_WORKER_HINT_MS = 3_000;

export async function runProducer(
  config: Config,
  redis: string,
  output: Output,
  signal: AbortSignal,
): Promise<ProducerOutcome> {
  await using engine = await Engine.start<typeof tasks>({
    backend: bullmq({ connection: redis, queue: config.queue }),
    signal,
  });
  const { jobs, size } = config;
  const progress = new Float64Array(jobs);
  const byWorker = new Map<number, number>();
  let ok = 0;
  let failed = 0;
  let cancelled = 0;
  let primes = 0;
  const started = performance.now();
  const dashboard = startDashboard(engine, config.queue, output, () => {
    const done = progress.reduce((a, b) => a + b, 0);
    return `settled ${ok + failed + cancelled}/${jobs}, ${Math.floor((100 * done) / jobs)}% done`;
  });
  const hint = setTimeout(() => {
    if (engine.pool.taskNames === undefined) {
      output.log(
        `no worker on queue ${config.queue} yet: start one with --role worker --redis <the same URL>`,
      );
    }
  }, NO_WORKER_HINT_MS);
  try {
    await Promise.all(
      Array.from({ length: jobs }, async (_, i) => {
        const range = { from: i * size, to: (i + 1) * size };
        const jobStart = performance.now();
        try {
          const counted: Counted = await engine.run('countPrimes', range, {
            signal,
            onProgress: (value) => {
              if (typeof value === 'number') progress[i] = value;
            },
          });
          progress[i] = 1;
          ok++;
          primes += counted.primes;
          byWorker.set(counted.pid, (byWorker.get(counted.pid) ?? 0) + 1);
          const seconds = ((performance.now() - jobStart) / 1000).toFixed(2);
          output.result(
            `job ${i}: [${number(range.from)}, ${number(range.to)}) has ${number(counted.primes)} primes (worker pid ${counted.pid}, ${seconds} s after publishing)`,
          );
        } catch (error) {
          if (signal.aborted) {
            cancelled++;
            return;
          }
          failed++;
          const code = (error as { code?: unknown } | null)?.code;
          output.result(
            `job ${i}: failed: ${code === undefined ? '' : `${String(code)} `}${(error as Error).message}`,
          );
        }
      }),
    );
  } finally {
    clearTimeout(hint);
    await dashboard.stop();
  }
  const ms = performance.now() - started;
  const seconds = ms / 1000;
  output.result(
    `${number(jobs)} jobs on queue ${config.queue}: ${ok} ok, ${failed} failed, ${cancelled} cancelled, in ${seconds.toFixed(2)} s (${(ok / seconds).toFixed(1)} jobs/s)`,
  );
  if (cancelled === 0 && failed === 0) {
    output.result(`primes below ${number(jobs * size)}: ${number(primes)}`);
  }
  const spread = [...byWorker].map(([pid, n]) => `pid ${pid} ran ${n}`).join(', ');
  if (spread !== '') output.result(`worker processes: ${spread}`);
  return { ok, failed, cancelled, primes, ms };
}
