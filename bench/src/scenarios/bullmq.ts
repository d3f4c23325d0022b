/**
 * bullmq: the same task module on BullMQ 6 / Redis (issue 11). A Redis of the bench's own
 * (AOF, fsync every second), `tandem-worker` processes on it, and a producer Engine in this
 * process. (a) ~20 ms CPU jobs against the local Engine on equal threads (target ≥ 0.7×), `map`
 * beside `run`; (b) no-op throughput at worker concurrency default and 64, bare BullMQ beside
 * it, a lone job's round trip; (c) per job: Redis commands, Redis CPU, bytes, producer and
 * worker CPU. bullmq-recovery: (d) kill -9 of the worker running a job → the job done by the
 * other, with BullMQ's defaults and tuned (target ≤ 15 s tuned).
 *
 * Everything shares this machine's cores: the worker's threads, its event loop, Redis and the
 * producer. On many machines Redis and the producer would have cores of their own.
 *
 * @module
 */
import type { Row, TargetResult } from '../runner/result.ts';
import type { Scenario, ScenarioContext } from '../runner/scenario.ts';
import { judgeTandem, notRun } from '../runner/target.ts';
import { cpuKeys, measureCpu, SPIN_MICROS } from './bullmq-cpu.ts';
import { IN_FLIGHT, LISTENERS, measureNoop } from './bullmq-noop.ts';
import { measureRecovery, recoveryRow } from './bullmq-recovery.ts';
import { type BenchRedis, redisUnavailable, startBenchRedis } from './bullmq-redis.ts';
import { QueueWorkers } from './bullmq-workers.ts';

const cpuTarget = {
  statement:
    '~20 ms CPU jobs: BullMQ backend (1 tandem-worker process, the run’s threads) ≥ 0.7 × the local Engine on equal threads (run())',
  comparison: '>=' as const,
  limit: 0.7,
};

const recoveryTarget = {
  statement:
    'kill -9 of the worker running a job → the job completed by another worker, tuned (lockDuration 2 s, stalledInterval 1 s)',
  comparison: '<=' as const,
  limit: 15,
  unit: 's',
};

/** Why nothing can run here, or undefined. */
function unavailable(context: ScenarioContext): string | undefined {
  if (context.tandemUnavailable) return `engine unavailable: ${context.tandemUnavailable}`;
  return redisUnavailable();
}

/** Runs `body` with a Redis and a worker set, and always ends both. */
async function withRedis<T>(
  body: (redis: BenchRedis, workers: QueueWorkers) => Promise<T>,
): Promise<T> {
  const redis = await startBenchRedis();
  const workers = new QueueWorkers(redis.url);
  try {
    return await body(redis, workers);
  } finally {
    await workers.killAll();
    await redis.stop();
  }
}

const fixed = (n: number | undefined, digits = 1) => (n === undefined ? 'n/a' : n.toFixed(digits));

export const bullmqThroughput: Scenario = {
  name: 'bullmq',
  title: 'the task module on BullMQ/Redis: CPU jobs vs local, no-op throughput, per-job Redis cost',
  async run(context) {
    const metric = { name: 'throughput', unit: 'jobs/s', better: 'higher' as const };
    const why = unavailable(context);
    if (why !== undefined) {
      return { metric, rows: [], targets: [notRun(cpuTarget, why)], notes: [`Not run: ${why}.`] };
    }
    const { quick, threads, log } = context;
    return withRedis(async (redis, workers) => {
      log('  a: 20 ms CPU jobs');
      const cpu = await measureCpu({
        url: redis.url,
        client: redis.client,
        workers,
        threads,
        quick,
        log,
      });
      log('  b, c: no-op jobs');
      const noop = await measureNoop({ redis, workers, threads, quick, log });
      const rows: Row[] = [...cpu.rows, ...noop.rows];
      const targets: TargetResult[] = [
        judgeTandem(
          cpuTarget,
          undefined,
          cpu.rate.get(cpuKeys.remoteRun),
          cpu.rate.get(cpuKeys.localRun),
          `Median of ${cpu.rounds} interleaved round(s) of ${cpu.jobs} jobs each. map(): ${fixed(
            ratio(cpu.rate.get(cpuKeys.remoteMap), cpu.rate.get(cpuKeys.localMap)),
            2,
          )} × local map().`,
        ),
      ];
      const top = [...noop.perJob].map(
        ([label, job]) =>
          `${label}: ${job.topCommands.map(([name, n]) => `${name} ${n.toFixed(2)}`).join(', ')}`,
      );
      const notes = [
        `a: ${cpu.jobs} jobs of ${SPIN_MICROS / 1_000} ms (spinning on the clock), all submitted at once, ${cpu.rounds} round(s) interleaved; the tandem-worker runs ${threads} thread(s) at its default concurrency (2 × threads). map() uses the default batching (one job per batch, sized by the threads the producer sees in the workers' registry).`,
        `b: ${noop.jobs.toLocaleString('en-US')} no-op jobs per round, ${IN_FLIGHT} in flight, ${noop.rounds} round(s) interleaved; every configuration has a worker process of its own on its own queue. Raw BullMQ: Queue.add + a Worker whose processor returns the data + one QueueEvents, same retention (no codec, no threads, no cancellation). map() rows count items, and their per-job costs are per item.`,
        `b, lone job: ${noop.lone?.samples ?? 0} jobs one after the other, each submitted once the previous settled: p50 ${fixed(noop.lone?.p50, 2)} ms, p99 ${fixed(noop.lone?.p99, 2)} ms, mean ${fixed(noop.lone?.mean, 2)} ms.`,
        'c: per job, median over the rounds: Redis command calls from INFO commandstats (Lua scripts’ inner redis.call()s count, as Redis counts them; the bench’s own INFO calls do not), Redis CPU from INFO cpu (used_cpu_user + used_cpu_sys, all its threads), bytes in + out on Redis’s client sockets from INFO stats, producer CPU (this process, process.cpuUsage) and the worker process’s CPU (/proc, its threads included).',
        `c, calls per job by command (median round): ${top.join(' · ')}.`,
        noop.perExtraProducer
          ? `Event fan-out: each producer reads every event of its queue; with ${LISTENERS} more producers listening on the queue of the concurrency-64 row, each extra producer cost ${noop.perExtraProducer.bytes.toFixed(0)} bytes, ${noop.perExtraProducer.redisCpuMicros.toFixed(0)} µs of Redis CPU and ${noop.perExtraProducer.producerCpuMicros.toFixed(0)} µs of producer CPU per job (the difference between the two rows, ÷ ${LISTENERS}; the CPU differences are within this machine's noise when small).`
          : `Event fan-out: not measured (${quick ? 'quick run' : 'a row failed'}).`,
        `Connections to Redis (INFO clients): one tandem-worker process opened ${cpu.connections.worker}, one producer ${cpu.connections.producer}.`,
        'One 2-core machine holds Redis, the producer and the worker process (its event loop and its threads), so the no-op rates are bounded by their sharing, not by Redis alone: docs/scale-out.md turns the per-job costs into what one Redis primary sustains.',
      ];
      return { metric, rows, targets, notes };
    });
  },
};

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

export const bullmqRecovery: Scenario = {
  name: 'bullmq-recovery',
  title: 'kill -9 of the worker process running a job → done by another worker',
  async run(context) {
    const metric = { name: 'kill → completion', unit: 's', better: 'lower' as const };
    const why = unavailable(context);
    if (why !== undefined) {
      return {
        metric,
        rows: [],
        targets: [notRun(recoveryTarget, why)],
        notes: [`Not run: ${why}.`],
      };
    }
    const { quick, log } = context;
    return withRedis(async (redis, workers) => {
      const tuned = await measureRecovery({
        url: redis.url,
        workers,
        timing: { lockDuration: 2_000, stalledInterval: 1_000 },
        trials: quick ? 1 : 3,
        name: 'tuned',
        log,
      });
      const rows: Row[] = [recoveryRow('tuned: lockDuration 2 s, stalledInterval 1 s', tuned)];
      const notes = [
        'Two tandem-worker processes (1 thread each) serve the queue; a job reports by progress which one runs it, that one gets SIGKILL, and a gate opens so that the re-run passes at once. Measured from the kill to the producer’s result: BullMQ’s stalled-job recovery (the lock expires, a stalled check of the surviving worker moves the job back to wait) plus a round trip.',
      ];
      if (!quick) {
        const defaults = await measureRecovery({
          url: redis.url,
          workers,
          timing: { lockDuration: undefined, stalledInterval: undefined },
          trials: 1,
          name: 'defaults',
          log,
        });
        rows.push(recoveryRow('defaults: lockDuration 30 s, stalledInterval 30 s', defaults));
      } else {
        notes.push(
          'Quick run: the defaults row (30 s locks, up to a minute and a half) is not run.',
        );
      }
      const median = rows[0]!.value.median;
      const trials = `Median of ${tuned.seconds.length} trial(s): ${tuned.seconds.map((s) => s.toFixed(2)).join(', ')} s.`;
      // A job that did not complete on the other worker misses, whatever the time.
      const targets: TargetResult[] = [
        tuned.correct
          ? judgeTandem(recoveryTarget, undefined, median, 1, trials)
          : {
              ...recoveryTarget,
              ratio: median,
              status: 'missed',
              detail: `A trial’s job did not complete on the other worker. ${trials}`,
            },
      ];
      return { metric, rows, targets, notes };
    });
  },
};
