#!/usr/bin/env node
/**
 * `tandem-worker`: a worker process for `@tandem/bullmq` (see cli-args.ts for the flags).
 *
 * stdout gets one line, once jobs are being taken (scripts and tests wait for it); everything
 * else goes to stderr. The first SIGINT/SIGTERM closes gracefully (exit 0); a second exits at
 * once (128 + signal number), leaving the jobs held to stall and run elsewhere. Threads that
 * cannot be kept alive (`ERR_TANDEM_POOL_BROKEN`) end the process with exit code 1, without
 * failing the jobs held.
 *
 * @module
 */
import { constants } from 'node:os';
import { flagOf, HELP, parseCli, USAGE } from './cli-args.js';
import { bullQueueName } from './queue-name.js';
import type { TandemWorker } from './worker-api.js';
import { resolveWorkerOptions } from './worker-options.js';

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  let text = `${error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${error.message}`;
  // The cause says why a task module failed to load (its own throw).
  const cause = (error as { cause?: unknown }).cause;
  if (cause !== undefined) text += `\n  caused by ${describe(cause)}`;
  return text;
}

function fail(error: unknown, exitCode: number): never {
  process.stderr.write(`tandem-worker: ${describe(error)}\n`);
  if (exitCode === EXIT_USAGE) process.stderr.write(`${USAGE}\n`);
  process.exit(exitCode);
}

function isUsageError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' &&
    (code === 'ERR_TANDEM_INVALID_ARGUMENT' ||
      code === 'ERR_TANDEM_OUT_OF_RANGE' ||
      code.startsWith('ERR_PARSE_ARGS_'))
  );
}

async function main(): Promise<void> {
  let command: ReturnType<typeof parseCli>;
  try {
    command = parseCli(process.argv.slice(2), process.env);
  } catch (error) {
    fail(error, EXIT_USAGE);
  }
  if (command.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const { options } = command;
  try {
    // Checked here too, before the heavy imports below: a usage error answers at once.
    resolveWorkerOptions(options, flagOf);
  } catch (error) {
    fail(error, EXIT_USAGE);
  }
  const { startWorker } = await import('./worker.js');
  let worker: TandemWorker | undefined;
  let stopping = false;
  // Signals are taken before the start: a signal during a slow start still ends it cleanly.
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`tandem-worker: ${signal} again, exiting now\n`);
      process.exit(128 + constants.signals[signal]);
    }
    stopping = true;
    process.stderr.write(
      `tandem-worker: ${signal}, closing (jobs held get their shutdown grace; a second signal exits at once)\n`,
    );
    if (worker === undefined) return; // the start's end sees `stopping`
    worker.close().then(
      () => process.exit(0),
      (error: unknown) => fail(error, EXIT_FAILED),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let broken = false;
  try {
    worker = await startWorker({
      ...options,
      onError(error) {
        process.stderr.write(`tandem-worker: ${describe(error).split('\n')[0]}\n`);
        if ((error as { code?: unknown } | null)?.code !== 'ERR_TANDEM_POOL_BROKEN' || broken)
          return;
        // The worker destroys itself: its jobs stall and run elsewhere.
        broken = true;
        void worker?.destroy().finally(() => process.exit(EXIT_FAILED));
      },
    });
  } catch (error) {
    fail(error, isUsageError(error) ? EXIT_USAGE : EXIT_FAILED);
  }
  if (stopping) {
    await worker.close();
    process.exit(0);
  }
  process.stdout.write(
    `tandem-worker ready ${worker.id} pid=${process.pid} threads=${worker.engine.pool.threads} queue=${bullQueueName(options.queue, options.version ?? '1')}\n`,
  );
}

main().catch((error: unknown) => fail(error, EXIT_FAILED));
