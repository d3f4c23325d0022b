/**
 * The command line: `node:util` `parseArgs`, every flag with its default in `--help`, and a
 * usage error (exit 2) for a value that makes no sense, before anything starts.
 *
 * @module
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultThreads } from '@tandem/core';
import { generatorVersion } from './generate.ts';

export const modes = ['inline', 'pipeline', 'per-line'] as const;
export type Mode = (typeof modes)[number];

export interface Options {
  modes: Mode[];
  file: string;
  /** Whether `file` is the default one (generated when missing) rather than one given. */
  defaultFile: boolean;
  generate: boolean;
  lines: number;
  seed: number;
  batch: number;
  threads: number;
  perLineLimit: number;
  top: number;
  json: boolean;
}

const defaults = {
  mode: 'all',
  lines: 2_000_000,
  seed: 1,
  batch: 32_768,
  perLineLimit: 100_000,
  top: 10,
};

export const usage = `Usage: pnpm start [-- flags]   (or: node --import tsx src/main.ts [flags])

Streams an access log line by line, parses and aggregates it, and prints a top-N report on
stdout with each mode's timings (progress on stderr). Without --file, a log is generated first (once;
later runs reuse it).

  --mode <m>            ${modes.join(' | ')} | all            (default ${defaults.mode})
                          inline: the same parser on the event loop, one thread
                          pipeline: lines batched to the pool, partial aggregates merged on the loop
                          per-line: one engine.run per line (capped, see --per-line-limit)
                          all: every mode in turn, timed, aggregates compared
  --file <path>         the log to analyse      (default <tmpdir>/tandem-log-analytics/access-v<n>-<lines>-<seed>.log)
  --generate            (re)write the log at --file first
  --lines <n>           lines to generate        (default ${defaults.lines.toLocaleString('en-US')})
  --seed <n>            generator seed           (default ${defaults.seed})
  --batch <n>           lines per pool message   (default ${defaults.batch.toLocaleString('en-US')})
  --threads <n>         worker threads           (default ${defaultThreads()}: cores - 1)
  --per-line-limit <n>  lines the per-line mode reads at most (default ${defaults.perLineLimit.toLocaleString('en-US')}); it is slow by design
  --top <n>             rows per top-N table     (default ${defaults.top})
  --json                the report (and timings) as JSON on stdout
  -h, --help            this text

Exit status: 0 ok, 1 the modes disagreed, 2 a usage error or a missing log file.`;

/** A bad flag: the CLI prints the message and the usage, and exits 2. */
export class UsageError extends Error {
  readonly code = 'ERR_LOG_ANALYTICS_USAGE' as const;
  override readonly name = 'UsageError';
}

/** A decimal integer flag in [min, max]; the bounds keep a typo from filling the disk. */
function integer(
  flag: string,
  text: string | undefined,
  fallback: number,
  [min, max]: [number, number],
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(
      `Expected --${flag} to be an integer in [${min}, ${max.toLocaleString('en-US')}], got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

/** The options, or `'help'` when --help was asked for. @throws UsageError */
export function parseOptions(args: string[]): Options | 'help' {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) return 'help';
  const mode = values.mode ?? defaults.mode;
  if (mode !== 'all' && !(modes as readonly string[]).includes(mode)) {
    throw new UsageError(
      `Expected --mode to be one of ${modes.join(', ')}, all; got ${JSON.stringify(mode)}`,
    );
  }
  const lines = integer('lines', values.lines, defaults.lines, [1, 50_000_000]);
  const seed = integer('seed', values.seed, defaults.seed, [0, 2 ** 32 - 1]);
  return {
    modes: mode === 'all' ? [...modes] : [mode as Mode],
    file:
      values.file ??
      join(tmpdir(), 'tandem-log-analytics', `access-v${generatorVersion}-${lines}-${seed}.log`),
    defaultFile: values.file === undefined,
    generate: values.generate ?? false,
    lines,
    seed,
    batch: integer('batch', values.batch, defaults.batch, [1, 1_000_000]),
    threads: integer('threads', values.threads, defaultThreads(), [1, 256]),
    perLineLimit: integer(
      'per-line-limit',
      values['per-line-limit'],
      defaults.perLineLimit,
      [1, 50_000_000],
    ),
    top: integer('top', values.top, defaults.top, [1, 10_000]),
    json: values.json ?? false,
  };
}

function parse(args: string[]) {
  return parseArgs({
    // pnpm forwards a literal `--` when called as `pnpm start -- --mode inline`; skip it.
    args: args.filter((arg) => arg !== '--'),
    strict: true,
    allowPositionals: false,
    options: {
      mode: { type: 'string' },
      file: { type: 'string' },
      generate: { type: 'boolean' },
      lines: { type: 'string' },
      seed: { type: 'string' },
      batch: { type: 'string' },
      threads: { type: 'string' },
      'per-line-limit': { type: 'string' },
      top: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
