/**
 * The task-queue demo (`pnpm --filter @tandem/example-task-queue start`). `--role all` (the
 * default) starts redis-server (unless `--redis` names one), two worker processes and the
 * producer, prints the results and a summary, and stops everything, also on Ctrl-C.
 * `--role producer` and `--role worker` run one part against a Redis shared by several
 * machines. See `--help` for the flags and exit codes.
 *
 * @module
 */
import { setMaxListeners } from 'node:events';
import { constants } from 'node:os';
import { type Config, parseCommandLine, UsageError, usage } from './cli-options.ts';
import { type LocalRedis, startLocalRedis } from './local-redis.ts';
import { consoleOutput, type Output } from './output.ts';
import { type ProducerOutcome, runProducer } from './producer-role.ts';
import { WorkerProcesses } from './worker-processes.ts';
import { runWorker } from './worker-role.ts';

const LOCALHOST = 'redis://127.0.0.1:6379';

function readConfig(): Config {
  try {
    return parseCommandLine(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\nSee --help for the flags.`);
    process.exit(2);
  }
}

/** The URL as it may be logged: without its password. */
function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/**
 * Ctrl-C and SIGTERM: the first aborts the run (queued jobs removed, running ones cancelled)
 * and lets the program stop in order; the second calls `now()` and exits at once.
 */
function interruptible(output: Output, now: () => void): AbortSignal {
  const controller = new AbortController();
  // Every job's run listens to this one signal.
  setMaxListeners(0, controller.signal);
  for (const [signal, name] of [
    ['SIGINT', 'Ctrl-C'],
    ['SIGTERM', 'SIGTERM'],
  ] as const) {
    process.on(signal, () => {
      const code = 128 + constants.signals[signal];
      if (controller.signal.aborted) {
        now();
        process.exit(code);
      }
      process.exitCode = code;
      output.log(`stopping (${name}): cancelling the jobs not done; ${name} again quits at once`);
      controller.abort(new Error(`interrupted by ${name}`));
    });
  }
  return controller.signal;
}

function exitCodeOf(outcome: ProducerOutcome | undefined): void {
  // A signal already set 130 or 143.
  if (process.exitCode === undefined && (outcome === undefined || outcome.failed > 0)) {
    process.exitCode = 1;
  }
}

/** Resolves when `signal` aborts (never rejects). */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

async function runAll(config: Config, output: Output): Promise<void> {
  let redis: LocalRedis | undefined;
  const workers = new WorkerProcesses(output.log);
  const signal = interruptible(output, () => {
    workers.killNow();
    redis?.killNow();
  });
  let outcome: ProducerOutcome | undefined;
  try {
    let url = config.redis;
    if (url === undefined) {
      redis = await startLocalRedis();
      url = redis.url;
      output.log(`redis-server pid=${redis.pid} listening on ${url}`);
    } else {
      output.log(`using the Redis at ${redact(url)}`);
    }
    const args = ['--queue', config.queue, '--threads', String(config.threads)];
    if (config.concurrency !== undefined) args.push('--concurrency', String(config.concurrency));
    const starting = Array.from({ length: config.workers }, async (_, i) => {
      const worker = await workers.start(`worker ${i + 1}`, args, url);
      output.log(`worker ${i + 1} pid=${worker.pid} ready`);
    });
    await Promise.race([Promise.all(starting), aborted(signal)]);
    if (!signal.aborted) outcome = await runProducer(config, url, output, signal);
  } catch (error) {
    if (signal.aborted) return;
    // Redis or a worker could not start: the reason, not a stack trace.
    output.log(`task-queue: ${(error as Error).message}`);
  } finally {
    await workers.stop();
    await redis?.stop();
    exitCodeOf(outcome);
  }
}

async function runProducerOnly(config: Config, output: Output): Promise<void> {
  const url = config.redis ?? LOCALHOST;
  output.log(`producer on the Redis at ${redact(url)}, queue ${config.queue}`);
  const signal = interruptible(output, () => {});
  let outcome: ProducerOutcome | undefined;
  try {
    outcome = await runProducer(config, url, output, signal);
  } catch (error) {
    if (!signal.aborted) throw error;
  } finally {
    if (outcome !== undefined || signal.aborted) exitCodeOf(outcome);
  }
}

const config = readConfig();
const output = consoleOutput();
try {
  if (config.help) {
    console.log(usage());
  } else if (config.role === 'worker') {
    await runWorker(config, config.redis ?? LOCALHOST, output.log);
  } else if (config.role === 'producer') {
    await runProducerOnly(config, output);
  } else {
    await runAll(config, output);
  }
} catch (error) {
  // A coded failure of the surroundings (Redis unreachable, a start timeout, a refused
  // option): the message says what to do, a stack trace would not. Anything else is a bug.
  if (typeof (error as { code?: unknown } | null)?.code !== 'string') throw error;
  output.log(`task-queue: ${(error as Error).message}`);
  process.exitCode = 1;
}
