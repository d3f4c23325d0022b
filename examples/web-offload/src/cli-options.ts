/**
 * The command line of `src/main.ts`, read with Node's `parseArgs`.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { defaultThreads } from '@tandem/core';
import type { CpuMode } from './cpu-backend.ts';

export interface Config {
  readonly help: boolean;
  readonly port: number;
  readonly cpu: CpuMode;
  readonly threads: number;
  readonly deadline: number;
  readonly grace: number;
  readonly log: boolean;
}

/** A mistake on the command line (exit code 2). */
export class UsageError extends Error {
  readonly code = 'ERR_WEB_USAGE' as const;
}

export function usage(): string {
  return `Usage: node --import tsx src/main.ts [options]

A fastify service whose CPU route runs in Tandem's pool. Listens on 127.0.0.1 and prints
one line to stdout once listening: {"url":"http://127.0.0.1:<port>"}. Logs go to stderr.

Options:
  --port <n>        port on 127.0.0.1; 0 picks a free one (default 3000)
  --cpu <mode>      where POST /render runs: tandem (the pool, cancellable), piscina (a plain
                    Piscina pool, same threads), inline (on the event loop) (default tandem)
  --threads <n>     worker threads (default ${defaultThreads()}: cores − 1)
  --deadline <ms>   a render or batch that waits or runs longer answers 504; a render whose
                    estimated wait is longer is shed with 503 (default 2000)
  --grace <ms>      on SIGTERM/SIGINT, how long in-flight requests and jobs may take before
                    they are cut off (default 10000)
  --log             fastify's request log (JSON lines, stderr)
  -h, --help        this text

Exit codes: 0 closed, 1 failed to start, 2 usage, 130 SIGINT, 143 SIGTERM.`;
}

export function parseCommandLine(args: readonly string[]): Config {
  let values: ReturnType<typeof read>['values'];
  try {
    values = read(args).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const cpu = values.cpu ?? 'tandem';
  if (cpu !== 'tandem' && cpu !== 'piscina' && cpu !== 'inline') {
    throw new UsageError(`--cpu must be tandem, piscina or inline, got ${cpu}`);
  }
  return {
    help: values.help === true,
    port: integer('--port', values.port, 3000, 0, 65_535),
    cpu,
    threads: integer('--threads', values.threads, defaultThreads(), 1, 256),
    deadline: integer('--deadline', values.deadline, 2_000, 1, 3_600_000),
    grace: integer('--grace', values.grace, 10_000, 0, 3_600_000),
    log: values.log === true,
  };
}

function read(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      cpu: { type: 'string' },
      threads: { type: 'string' },
      deadline: { type: 'string' },
      grace: { type: 'string' },
      log: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function integer(
  flag: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined) return fallback;
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got ${text}`);
  }
  return n;
}
