/**
 * bullmq (a): ~20 ms CPU jobs, all submitted at once, on the BullMQ backend (one tandem-worker
 * process with the run's thread count, its default concurrency) against the local Engine on
 * the same number of threads: what moving the work behind Redis costs when jobs are worth it.
 * `run()` (one job per task) and `map()` (the default batching: one job per batch) side by side.
 *
 * @module
 */

import type { Redis } from 'ioredis';
import type { Row } from '../runner/result.ts';
import { rateOf } from '../runner/spread.ts';
import { interleavedRounds, timeOnce } from '../runner/workload.ts';
import { type QueueEngine, startLocal, startProducer } from './bullmq-engines.ts';
import { connectedClients } from './bullmq-redis.ts';
import type { QueueWorkers } from './bullmq-workers.ts';

export const SPIN_MICROS = 20_000;

export interface CpuResult {
  rows: Row[];
  jobs: number;
  rounds: number;
  /** Median rates (jobs/s) by key. */
  rate: Map<string, number>;
  /** Redis connections one tandem-worker process opened, and one producer. */
  connections: { worker: number; producer: number };
}

export const cpuKeys = {
  localRun: 'local Engine run()',
  remoteRun: 'bullmq run(), 1 tandem-worker',
  localMap: 'local Engine map()',
  remoteMap: 'bullmq map(), 1 tandem-worker',
} as const;

export async function measureCpu(options: {
  url: string;
  client: Redis;
  workers: QueueWorkers;
  threads: number;
  quick: boolean;
  log(message: string): void;
}): Promise<CpuResult> {
  const { url, client, workers, threads, quick, log } = options;
  const jobs = quick ? 24 : 200;
  const rounds = quick ? 1 : 3;
  const queue = 'bench-cpu';
  const before = await connectedClients(client);
  const worker = await workers.tandem({ queue, threads });
  const withWorker = await connectedClients(client);
  let local: QueueEngine | undefined;
  let remote: QueueEngine | undefined;
  try {
    local = await startLocal(threads);
    remote = await startProducer(url, queue);
    const connections = {
      worker: withWorker - before,
      producer: (await connectedClients(client)) - withWorker,
    };
    const items = Array.from({ length: jobs }, () => SPIN_MICROS);
    const runAll = (engine: QueueEngine) => () =>
      timeOnce(() => Promise.all(items.map((us) => engine.run('spin', us))));
    const mapAll = (engine: QueueEngine) => () => timeOnce(() => engine.map('spin', items));
    // Warm-up: threads loaded, the worker's connections and scripts ready.
    for (const engine of [local, remote]) {
      await Promise.all(Array.from({ length: 2 * threads }, () => engine.run('spin', 1_000)));
    }
    const spreads = await interleavedRounds(
      [
        { key: cpuKeys.localRun, round: runAll(local) },
        { key: cpuKeys.remoteRun, round: runAll(remote) },
        { key: cpuKeys.localMap, round: mapAll(local) },
        { key: cpuKeys.remoteMap, round: mapAll(remote) },
      ],
      rounds,
      (key, error) => log(`  ${key}: failed, left out (${(error as Error).message})`),
    );
    const idealMs = (jobs * SPIN_MICROS) / 1_000 / threads;
    const rate = new Map<string, number>();
    const rows: Row[] = [];
    for (const [key, ms] of spreads) {
      const value = rateOf(ms, jobs * 1_000);
      rate.set(key, value.median);
      rows.push({
        label: key,
        group: `a: ${jobs} × ${SPIN_MICROS / 1_000} ms CPU, ${threads} thread(s)`,
        value,
        extra: { 'round (ms)': ms.median, 'ideal (ms)': idealMs, efficiency: idealMs / ms.median },
      });
    }
    const localRun = rate.get(cpuKeys.localRun);
    const localMap = rate.get(cpuKeys.localMap);
    for (const row of rows) {
      const base = row.label.includes('map()') ? localMap : localRun;
      if (base !== undefined) row.extra!['× local'] = row.value.median / base;
    }
    return { rows, jobs, rounds, rate, connections };
  } finally {
    await remote?.close();
    await local?.close();
    await workers.stop(worker);
  }
}
