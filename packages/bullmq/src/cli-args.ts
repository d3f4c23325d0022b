/**
 * The `tandem-worker` command line → `WorkerOptions`. Numbers are plain decimal integers
 * (no `NaN`, `Infinity`, sign, exponent or unit); the ranges are checked by `startWorker`.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { InvalidArgumentError } from '@tandem/workers';
import type { WorkerOptions } from './worker-api.js';

export const USAGE =
  'usage: tandem-worker --tasks <module> --queue <name> [--redis redis://host:6379/0] [--queue-version 1] [--prefix bull] [--threads N] [--concurrency N] [--max-payload BYTES] [--lock-duration MS] [--stalled-interval MS] [--max-stalled-count N] [--shutdown-grace MS]';

export const HELP = `${USAGE}

Runs the tasks of <module> (a Tandem task module: export default defineTasks({...})) for the
producers of queue <name> (bullmq({ queue }) in @tandem/bullmq), on worker threads.

  --tasks <module>         path (or file: URL) of the task module                    required
  --queue <name>           queue name, as given to the producers                     required
  --redis <url>            redis[s]://[user[:password]@]host[:port][/db]; default $TANDEM_REDIS_URL,
                           else redis://127.0.0.1:6379 (put secrets in TANDEM_REDIS_URL, not argv)
  --queue-version <v>      task version: only jobs of this version are taken         default 1
  --prefix <p>             BullMQ key prefix                                         default bull
  --threads <n>            worker threads                                            default cores - 1
  --concurrency <n>        jobs held at once                                         default 2 x threads
  --max-payload <bytes>    largest encoded input, result or progress value           default 1048576
  --lock-duration <ms>     job lock; a dead worker's jobs run again after it         default 30000
  --stalled-interval <ms>  time between checks for stalled jobs                      default 30000
  --max-stalled-count <n>  stalls a job may have before it fails                     default 1
  --shutdown-grace <ms>    on SIGINT/SIGTERM, time given to jobs held; the rest run
                           again elsewhere; a second signal exits at once            default 10000
  -h, --help               this text

Prints "tandem-worker ready <id> pid=<pid> threads=<n> queue=<bull queue>" on stdout once it
takes jobs. Exit codes: 0 closed on a signal, 1 failed (start, or threads that cannot be kept
alive), 2 bad arguments.`;

const NUMBERS = {
  threads: 'threads',
  concurrency: 'concurrency',
  'max-payload': 'maxPayloadBytes',
  'lock-duration': 'lockDuration',
  'stalled-interval': 'stalledInterval',
  'max-stalled-count': 'maxStalledCount',
  'shutdown-grace': 'shutdownGrace',
} as const;

/** The flag of each option, for error messages. */
export function flagOf(key: keyof WorkerOptions): string {
  const flags: Partial<Record<keyof WorkerOptions, string>> = {
    connection: '--redis',
    version: '--queue-version',
    maxPayloadBytes: '--max-payload',
  };
  return flags[key] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** `--help`, or the options to start with. */
export type CliCommand = { help: true } | { help: false; options: WorkerOptions };

/**
 * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`) for a missing or malformed
 * argument; node's own `ERR_PARSE_ARGS_*` errors for unknown flags, a flag without its value
 * or a stray positional.
 */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): CliCommand {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      tasks: { type: 'string' },
      queue: { type: 'string' },
      redis: { type: 'string' },
      'queue-version': { type: 'string' },
      prefix: { type: 'string' },
      threads: { type: 'string' },
      concurrency: { type: 'string' },
      'max-payload': { type: 'string' },
      'lock-duration': { type: 'string' },
      'stalled-interval': { type: 'string' },
      'max-stalled-count': { type: 'string' },
      'shutdown-grace': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return { help: true };
  const { tasks, queue } = values;
  if (tasks === undefined) throw new InvalidArgumentError('Missing --tasks <module>');
  if (queue === undefined) throw new InvalidArgumentError('Missing --queue <name>');
  const options: WorkerOptions = {
    tasks,
    queue,
    connection: values.redis ?? env.TANDEM_REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
  if (values['queue-version'] !== undefined) options.version = values['queue-version'];
  if (values.prefix !== undefined) options.prefix = values.prefix;
  for (const [flag, key] of Object.entries(NUMBERS)) {
    const text = values[flag as keyof typeof NUMBERS];
    if (text !== undefined) options[key] = integer(flag, text);
  }
  return { help: false, options };
}

function integer(flag: string, text: string): number {
  if (!/^\d{1,15}$/.test(text)) {
    throw new InvalidArgumentError(
      `Expected --${flag} to be a whole number written in digits, got ${JSON.stringify(text)}`,
    );
  }
  return Number(text);
}
