/**
 * bullmq-recovery (d): a worker process is killed (SIGKILL) in the middle of a job; how long
 * until the job has completed on the other worker. Two tandem-worker processes serve the queue;
 * the job (`hold`) says by progress which one runs it, that one is killed, and the gate opens
 * so that the re-run passes at once: the time measured is BullMQ's stalled-job recovery (the
 * lock must expire, then a stalled check must find it) plus one round trip. With the defaults
 * (lockDuration 30 s, stalledInterval 30 s) and tuned (2 s, 1 s).
 *
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Row } from '../runner/result.ts';
import { spreadOf } from '../runner/spread.ts';
import { startProducer } from './bullmq-engines.ts';
import type { QueueWorkers } from './bullmq-workers.ts';

export interface Timing {
  lockDuration: number | undefined;
  stalledInterval: number | undefined;
}

export interface RecoveryResult {
  /** Seconds from the kill to the job's result, per trial. */
  seconds: number[];
  /** Seconds from the kill to the re-run starting on the other worker, per trial. */
  restartSeconds: number[];
  /** Every trial's job completed on the other worker, once. */
  correct: boolean;
}

/** One trial: two workers, one job, the worker running it killed; resolves with the timings. */
async function trial(
  url: string,
  workers: QueueWorkers,
  timing: Timing,
  threads: number,
  name: string,
): Promise<{ seconds: number; restart: number; correct: boolean }> {
  const queue = `bench-kill-${name}`;
  const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-gate-'));
  const gate = join(dir, 'open');
  const spec = {
    queue,
    threads,
    ...(timing.lockDuration === undefined ? {} : { lockDuration: timing.lockDuration }),
    ...(timing.stalledInterval === undefined ? {} : { stalledInterval: timing.stalledInterval }),
  };
  const pair = await Promise.all([workers.tandem(spec), workers.tandem(spec)]);
  const engine = await startProducer(url, queue);
  try {
    let killedAt = 0;
    let restartedAt = 0;
    let victim: number | undefined;
    let kill: Promise<void> | undefined;
    const result = await engine.run('hold', gate, {
      onProgress: (pid) => {
        if (victim === undefined) {
          victim = pid as number;
          const worker = pair.find((w) => w.pid === victim);
          killedAt = performance.now();
          kill = worker ? workers.kill9(worker) : Promise.resolve();
          // The re-run elsewhere must not wait: the gate opens right after the kill.
          void kill.then(() => writeFileSync(gate, ''));
        } else if (pid !== victim && restartedAt === 0) {
          restartedAt = performance.now();
        }
      },
    });
    const doneAt = performance.now();
    await kill;
    const other = pair.find((w) => w.pid !== victim)?.pid;
    return {
      seconds: (doneAt - killedAt) / 1_000,
      restart: restartedAt === 0 ? Number.NaN : (restartedAt - killedAt) / 1_000,
      correct: victim !== undefined && result === other,
    };
  } finally {
    await engine.close();
    await workers.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function measureRecovery(options: {
  url: string;
  workers: QueueWorkers;
  timing: Timing;
  trials: number;
  name: string;
  log(message: string): void;
}): Promise<RecoveryResult> {
  const { url, workers, timing, trials, name, log } = options;
  const seconds: number[] = [];
  const restartSeconds: number[] = [];
  let correct = true;
  for (let i = 0; i < trials; i++) {
    const t = await trial(url, workers, timing, 1, `${name}-${i}`);
    log(
      `  ${name} trial ${i + 1}: kill → done ${t.seconds.toFixed(2)} s (re-run started after ${t.restart.toFixed(2)} s)`,
    );
    seconds.push(t.seconds);
    restartSeconds.push(t.restart);
    correct &&= t.correct;
  }
  return { seconds, restartSeconds, correct };
}

export function recoveryRow(label: string, result: RecoveryResult): Row {
  const restart = result.restartSeconds.filter((s) => Number.isFinite(s));
  return {
    label,
    value: spreadOf(result.seconds),
    extra: {
      're-run started (s, median)': restart.length > 0 ? spreadOf(restart).median : '–',
      'completed on the other worker, once': result.correct ? 'yes' : 'NO',
    },
  };
}
