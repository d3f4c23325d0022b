/**
 * The command line: every flag with its default (the `--help` text is drawn from the same
 * table), parsed with `node:util` `parseArgs` into a checked {@link Config}. A mistake is a
 * {@link UsageError} naming the flag and the value received.
 *
 * @module
 */
import os from 'node:os';
import { parseArgs } from 'node:util';

export type Role = 'all' | 'producer' | 'worker';

export interface Config {
  readonly role: Role;
  /** A Redis URL; undefined: `--role all` starts its own, the other roles use localhost. */
  readonly redis: string | undefined;
  readonly queue: string;
  readonly jobs: number;
  readonly size: number;
  readonly workers: number;
  readonly threads: number;
  readonly concurrency: number | undefined;
  readonly help: boolean;
}

/** A mistake on the command line: printed with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  readonly code = 'ERR_USAGE' as const;
}

interface Flag {
  readonly name: string;
  readonly kind: 'count' | 'string' | 'boolean';
  readonly default: string | boolean | undefined;
  readonly help: string;
  readonly short?: string;
}

const defaultThreads = Math.max(1, os.availableParallelism() - 1);

const FLAGS: readonly Flag[] = [
  {
    name: 'role',
    kind: 'string',
    default: 'all',
    help: 'all: Redis, workers and producer here; producer or worker: one part, on --redis',
  },
  {
    name: 'redis',
    kind: 'string',
    default: undefined,
    help: 'Redis URL (redis[s]://[user:password@]host:port[/db]); default $TANDEM_REDIS_URL, else --role all starts its own redis-server and the other roles use redis://127.0.0.1:6379',
  },
  {
    name: 'queue',
    kind: 'string',
    default: 'task-queue',
    help: 'queue name (same on every machine)',
  },
  { name: 'jobs', kind: 'count', default: '24', help: 'producer: jobs to publish' },
  { name: 'size', kind: 'count', default: '400000', help: 'producer: integers each job checks' },
  { name: 'workers', kind: 'count', default: '2', help: '--role all: worker processes to start' },
  {
    name: 'threads',
    kind: 'count',
    default: String(defaultThreads),
    help: 'worker: threads per worker process (cores - 1)',
  },
  {
    name: 'concurrency',
    kind: 'count',
    default: undefined,
    help: 'worker: jobs a worker process holds at once (default 2 × threads)',
  },
  { name: 'help', kind: 'boolean', default: false, help: 'show this help', short: 'h' },
];

export const usage = (): string => {
  const lines = FLAGS.map((flag) => {
    const value = flag.kind === 'boolean' ? '' : ` <${flag.kind === 'count' ? 'n' : 'text'}>`;
    const name = `${flag.short ? `-${flag.short}, ` : '    '}--${flag.name}${value}`;
    const fallback =
      flag.default === undefined || flag.default === false ? '' : ` (default ${flag.default})`;
    return `  ${name.padEnd(24)}${flag.help}${fallback}`;
  });
  return [
    'Usage: pnpm --filter @tandem/example-task-queue start [-- flags]',
    '   or: node --import tsx src/main.ts [flags]',
    '',
    'Publishes jobs (count the primes in a range) to a BullMQ queue on Redis and awaits their',
    'results with progress; tandem worker processes run them in their thread pools. With no',
    'flags it starts redis-server, two workers and the producer here, and stops them all at the end.',
    'Results on stdout; the dashboard, progress and logs on stderr.',
    'Exit codes: 0 every job right, 1 a job failed or was wrong (or Redis/workers could not',
    'start), 2 usage, 130 interrupted (Ctrl-C), 143 SIGTERM. A worker stopped by a signal exits 0.',
    '',
    ...lines,
  ].join('\n');
};

export function parseCommandLine(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Config {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      // pnpm forwards a literal `--` from `pnpm start -- --jobs 10`; skip it.
      args: args.filter((arg) => arg !== '--'),
      options: Object.fromEntries(
        FLAGS.map((f) => [
          f.name,
          {
            type: f.kind === 'boolean' ? ('boolean' as const) : ('string' as const),
            ...(f.short ? { short: f.short } : {}),
          },
        ]),
      ),
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const read = (name: string) => values[name] ?? FLAGS.find((f) => f.name === name)!.default;
  const count = (name: string, min: number, max: number) =>
    parseCount(name, read(name) as string, min, max);
  const role = read('role');
  if (role !== 'all' && role !== 'producer' && role !== 'worker') {
    throw new UsageError(
      `Expected --role to be all, producer or worker, got ${JSON.stringify(role)}`,
    );
  }
  const redis = (values.redis as string | undefined) ?? (env.TANDEM_REDIS_URL || undefined);
  if (redis !== undefined && !/^rediss?:\/\/./.test(redis)) {
    throw new UsageError('Expected --redis to be a redis:// or rediss:// URL');
  }
  const queue = read('queue') as string;
  if (!/^[\w.-]{1,100}$/.test(queue)) {
    throw new UsageError(
      `Expected --queue to be 1–100 letters, digits, "_", "-" or ".", got ${JSON.stringify(queue)}`,
    );
  }
  const jobs = count('jobs', 1, 1_000_000);
  const size = count('size', 1, 100_000_000);
  if (jobs * size > Number.MAX_SAFE_INTEGER)
    throw new UsageError('Expected --jobs × --size to be a safe integer');
  return {
    role,
    redis,
    queue,
    jobs,
    size,
    workers: count('workers', 1, 64),
    threads: count('threads', 1, 256),
    concurrency: values.concurrency === undefined ? undefined : count('concurrency', 1, 10_000),
    help: read('help') as boolean,
  };
}

function parseCount(name: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(Number.isSafeInteger(value) && value >= min && value <= max)) {
    throw new UsageError(
      `Expected --${name} to be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}
