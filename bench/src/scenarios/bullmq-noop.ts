/**
 * bullmq (b, c): no-op jobs, 1,000 in flight, through the BullMQ backend at tandem-worker's
 * default concurrency and a high one, beside bare BullMQ at the same concurrencies; `map()` of
 * no-ops (the default batching); and the round trip of a lone job. Around every round, what it
 * cost per job: Redis command calls (`INFO commandstats`, Lua's inner calls included), Redis CPU
 * (`INFO cpu`), bytes on Redis's client sockets (`INFO stats`), and the CPU of the producer (this
 * process) and of the worker process (from /proc).
 *
 * @module
 */
import type { Row, Spread } from '../runner/result.ts';
import { rateOf, spreadOf } from '../runner/spread.ts';
import { runWindowed, timeOnce } from '../runner/workload.ts';
import { type QueueEngine, startProducer } from './bullmq-engines.ts';
import { startRawProducer } from './bullmq-raw.ts';
import {
  type BenchRedis,
  costBetween,
  type RedisCost,
  sampleRedis,
  totalCalls,
} from './bullmq-redis.ts';
import { processCpuMicros, type QueueWorkers, type WorkerProcess } from './bullmq-workers.ts';

export const IN_FLIGHT = 1_000;
/** Idle producers added on one queue to measure the event fan-out. */
export const LISTENERS = 3;

/** One configuration measured: how to run a job, and the worker process that serves it. */
interface Config {
  label: string;
  worker: WorkerProcess;
  /** Runs `count` items; resolves when all settled. */
  round(count: number): Promise<unknown>;
}

/** Per job (or per item, for map), medians over the rounds. */
export interface PerJob {
  commands: number;
  /** Of those, Lua script calls (EVALSHA/EVAL): BullMQ's unit of work, one round trip each. */
  scripts: number;
  redisCpuMicros: number;
  netBytes: number;
  producerCpuMicros: number;
  workerCpuMicros: number | undefined;
  /** Calls per job by command, from the median round (the top ones, for the notes). */
  topCommands: [string, number][];
}

export interface NoopResult {
  rows: Row[];
  jobs: number;
  rounds: number;
  perJob: Map<string, PerJob>;
  rate: Map<string, number>;
  lone: { p50: number; p99: number; mean: number; samples: number } | undefined;
  /** What one more producer on a queue costs per job (from the listeners row), if measured. */
  perExtraProducer:
    | { bytes: number; redisCpuMicros: number; producerCpuMicros: number }
    | undefined;
}

function median(values: number[]): number {
  return spreadOf(values).median;
}

export async function measureNoop(options: {
  redis: BenchRedis;
  workers: QueueWorkers;
  threads: number;
  quick: boolean;
  log(message: string): void;
}): Promise<NoopResult> {
  const { redis, workers, threads, quick, log } = options;
  const jobs = quick ? 300 : 3_000;
  const rounds = quick ? 1 : 3;
  const loneJobs = quick ? 50 : 1_000;
  const high = 64;
  const defaultConcurrency = 2 * threads;
  const engines: QueueEngine[] = [];
  const closers: (() => Promise<void>)[] = [];
  try {
    const tandemConfig = async (label: string, queue: string, concurrency?: number) => {
      const worker = await workers.tandem({
        queue,
        threads,
        ...(concurrency ? { concurrency } : {}),
      });
      const engine = await startProducer(redis.url, queue);
      engines.push(engine);
      return { label, worker, engine };
    };

    const rawConfig = async (concurrency: number) => {
      const queue = `bench-raw-${concurrency}`;
      const worker = await workers.raw(queue, concurrency);
      const producer = await startRawProducer(redis.url, queue);
      closers.push(() => producer.close());
      return {
        label: `raw BullMQ (no Tandem), Worker concurrency ${concurrency}`,
        worker,
        round: (count: number) => runWindowed(count, IN_FLIGHT, (i) => producer.run(i)),
      };
    };
    // Every producer reads the queue's whole event stream: more producers on the same queue,
    // listening only, cost Redis (and themselves) a copy of every event of the one that
    // submits. A queue and a worker of its own, so that the other rows have one producer.
    const fanout = async () => {
      const config = await tandemConfig(
        `bullmq run(), concurrency ${high}, ${LISTENERS} more producers listening`,
        'bench-noop-fanout',
        high,
      );
      for (let i = 0; i < LISTENERS; i++) {
        engines.push(await startProducer(redis.url, 'bench-noop-fanout'));
      }
      return config;
    };
    // The worker processes start together (each takes a second or two to load). A quick run
    // leaves out the fan-out and the second raw row (smoke sizes: a few seconds in all).
    const base = Promise.all([
      tandemConfig(
        `bullmq run(), tandem-worker concurrency ${defaultConcurrency} (default)`,
        'bench-noop-default',
      ),
      tandemConfig(`bullmq run(), tandem-worker concurrency ${high}`, 'bench-noop-high', high),
      rawConfig(defaultConcurrency),
    ]);
    const more = quick ? Promise.resolve(undefined) : Promise.all([fanout(), rawConfig(high)]);
    const [[byDefault, byHigh, rawDefault], extra] = await Promise.all([base, more]);
    const [withListeners, rawHigh] = extra ?? [];
    const run = (engine: QueueEngine) => (count: number) =>
      runWindowed(count, IN_FLIGHT, (i) => engine.run('noop', i));
    const configs: Config[] = [
      { label: byDefault.label, worker: byDefault.worker, round: run(byDefault.engine) },
      { label: byHigh.label, worker: byHigh.worker, round: run(byHigh.engine) },
      rawDefault,
      ...(rawHigh ? [rawHigh] : []),
      ...(withListeners
        ? [
            {
              label: withListeners.label,
              worker: withListeners.worker,
              round: run(withListeners.engine),
            },
          ]
        : []),
      {
        label: 'bullmq map() (default batch), concurrency default',
        worker: byDefault.worker,
        round: (count: number) =>
          byDefault.engine.map(
            'noop',
            Array.from({ length: count }, (_, i) => i),
          ),
      },
    ];
    // A configuration that throws is left out with its reason; the others go on.
    const failed = new Set<string>();
    const attempt = async (config: Config, body: () => Promise<unknown>) => {
      if (failed.has(config.label)) return false;
      try {
        await body();
        return true;
      } catch (error) {
        failed.add(config.label);
        log(`  ${config.label}: failed, left out (${(error as Error).message})`);
        return false;
      }
    };
    for (const config of configs) await attempt(config, () => config.round(quick ? 50 : 500));

    const times = new Map<string, number[]>(configs.map((c) => [c.label, []]));
    const costs = new Map<
      string,
      { cost: RedisCost; producer: number; worker: number | undefined }[]
    >(configs.map((c) => [c.label, []]));
    for (let r = 0; r < rounds; r++) {
      for (const config of configs) {
        const before = await sampleRedis(redis.client);
        const producerBefore = process.cpuUsage();
        const workerBefore = processCpuMicros(config.worker.pid);
        let ms = 0;
        if (!(await attempt(config, async () => (ms = await timeOnce(() => config.round(jobs)))))) {
          continue;
        }
        times.get(config.label)!.push(ms);
        const producer = process.cpuUsage(producerBefore);
        const workerAfter = processCpuMicros(config.worker.pid);
        const after = await sampleRedis(redis.client);
        costs.get(config.label)!.push({
          cost: costBetween(before, after),
          producer: producer.user + producer.system,
          worker:
            workerBefore === undefined || workerAfter === undefined
              ? undefined
              : workerAfter - workerBefore,
        });
      }
    }

    // A lone job: submitted when nothing else is in flight, the next once it settled.
    const loneTimes: number[] = [];
    for (let i = 0; i < loneJobs; i++) {
      loneTimes.push(await timeOnce(() => byDefault.engine.run('noop', i)));
    }
    const sorted = [...loneTimes].sort((a, b) => a - b);
    const lone = {
      p50: sorted[Math.floor(sorted.length * 0.5)]!,
      p99: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!,
      mean: loneTimes.reduce((a, b) => a + b, 0) / loneTimes.length,
      samples: loneTimes.length,
    };

    const rows: Row[] = [];
    const perJob = new Map<string, PerJob>();
    const rate = new Map<string, number>();
    const group = `b: ${jobs.toLocaleString('en-US')} no-ops, ${IN_FLIGHT} in flight, ${threads} thread(s)`;
    for (const config of configs) {
      if (failed.has(config.label)) continue;
      const ms: Spread = spreadOf(times.get(config.label)!);
      const value = rateOf(ms, jobs * 1_000);
      rate.set(config.label, value.median);
      const list = costs.get(config.label)!;
      const commands = list.map((c) => totalCalls(c.cost) / jobs);
      const middle =
        list[list.findIndex((c) => totalCalls(c.cost) / jobs === median(commands))] ?? list[0]!;
      const workerCpu = list.map((c) => c.worker).filter((v): v is number => v !== undefined);
      const job: PerJob = {
        commands: median(commands),
        scripts: median(
          list.map(
            (c) => ((c.cost.calls.get('evalsha') ?? 0) + (c.cost.calls.get('eval') ?? 0)) / jobs,
          ),
        ),
        redisCpuMicros: median(list.map((c) => c.cost.cpuMicros / jobs)),
        netBytes: median(list.map((c) => c.cost.netBytes / jobs)),
        producerCpuMicros: median(list.map((c) => c.producer / jobs)),
        workerCpuMicros: workerCpu.length > 0 ? median(workerCpu.map((v) => v / jobs)) : undefined,
        topCommands: [...middle.cost.calls]
          .map(([name, count]): [string, number] => [name, count / jobs])
          .sort((a, b) => b[1] - a[1])
          .slice(0, 8),
      };
      perJob.set(config.label, job);
      rows.push({
        label: config.label,
        group,
        value,
        extra: {
          'Redis cmds/job': job.commands,
          'of which scripts': job.scripts,
          'Redis CPU µs/job': job.redisCpuMicros,
          'Redis net B/job': job.netBytes,
          'producer CPU µs/job': job.producerCpuMicros,
          'worker proc CPU µs/job': job.workerCpuMicros ?? '–',
        },
      });
    }
    rows.push({
      label: 'bullmq run(), one job at a time (concurrency default)',
      group: 'b: lone job round trip',
      value: rateOf(spreadOf(loneTimes), 1_000),
      extra: { 'p50 (ms)': lone.p50, 'p99 (ms)': lone.p99, 'mean (ms)': lone.mean },
    });
    const one = perJob.get(byHigh.label);
    const several = withListeners && perJob.get(withListeners.label);
    const perExtraProducer =
      one && several
        ? {
            bytes: (several.netBytes - one.netBytes) / LISTENERS,
            redisCpuMicros: (several.redisCpuMicros - one.redisCpuMicros) / LISTENERS,
            producerCpuMicros: (several.producerCpuMicros - one.producerCpuMicros) / LISTENERS,
          }
        : undefined;
    return { rows, jobs, rounds, perJob, rate, lone, perExtraProducer };
  } finally {
    await Promise.all(engines.map((engine) => engine.close()));
    for (const close of closers) await close();
    await workers.stopAll();
  }
}
