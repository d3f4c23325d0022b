/**
 * The command line: every flag with its default (the `--help` text is drawn from the same
 * table), parsed with `node:util` `parseArgs` into a checked {@link Config}. A mistake is a
 * {@link UsageError} naming the flag and the value received.
 *
 * @module
 */
import os from 'node:os';
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** What one run does, every value checked. */
export interface Config {
  readonly files: number;
  readonly minSize: number;
  readonly maxSize: number;
  readonly latency: { readonly min: number; readonly max: number };
  readonly failures: {
    readonly retryAfter: number;
    readonly error: number;
    readonly reset: number;
    readonly stall: number;
    readonly missing: number;
  };
  readonly hosts: number;
  readonly seed: number;
  /** A file of URLs to download instead of starting the fixture server. */
  readonly urls: string | undefined;
  readonly out: string;
  readonly resume: boolean;
  readonly concurrency: number;
  readonly perHost: number;
  readonly attempts: number;
  /** Ms for the whole run; Infinity for none. */
  readonly deadline: number;
  readonly timeouts: {
    readonly connect: number;
    readonly headers: number;
    readonly bodyIdle: number;
  };
  readonly grace: number;
  readonly threads: number;
  readonly verbose: boolean;
  readonly help: boolean;
}

/** A mistake on the command line: printed with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  readonly code = 'ERR_USAGE' as const;
}

type Kind = 'count' | 'size' | 'range' | 'duration' | 'string' | 'boolean';

interface Flag {
  readonly name: string;
  readonly kind: Kind;
  readonly default: string | boolean | undefined;
  readonly help: string;
  readonly short?: string;
}

/** The most memory the fixture's files may take. */
const FIXTURE_BYTES = 2 * 1024 ** 3;

const defaultThreads = Math.max(1, os.availableParallelism() - 1);

// One table: parseArgs's options, the defaults and the help text all come from it.
const FLAGS: readonly Flag[] = [
  { name: 'files', kind: 'count', default: '120', help: 'files the fixture server serves' },
  { name: 'min-size', kind: 'size', default: '16k', help: 'smallest fixture file (k, m suffixes)' },
  { name: 'max-size', kind: 'size', default: '192k', help: 'largest fixture file' },
  {
    name: 'latency',
    kind: 'range',
    default: '20-80',
    help: 'fixture latency before headers, ms (min-max)',
  },
  {
    name: 'fail-503',
    kind: 'count',
    default: '6',
    help: 'files answering 503 + Retry-After twice',
  },
  { name: 'fail-500', kind: 'count', default: '6', help: 'files answering 500 once' },
  { name: 'fail-reset', kind: 'count', default: '6', help: 'files whose connection is reset once' },
  { name: 'fail-stall', kind: 'count', default: '4', help: 'files stalling mid-body once' },
  { name: 'fail-404', kind: 'count', default: '3', help: 'missing files: permanent failures' },
  { name: 'hosts', kind: 'count', default: '3', help: 'fixture servers (hosts, one port each)' },
  { name: 'seed', kind: 'count', default: '1', help: 'seed of the fixture content and failures' },
  {
    name: 'urls',
    kind: 'string',
    default: undefined,
    help: 'download the URLs in this file (one a line) instead of the fixture',
  },
  { name: 'out', kind: 'string', default: 'downloads', help: 'output directory' },
  {
    name: 'resume',
    kind: 'boolean',
    default: false,
    help: 'continue the run in --out instead of starting over',
  },
  { name: 'concurrency', kind: 'count', default: '16', help: 'downloads in flight at once' },
  {
    name: 'per-host',
    kind: 'count',
    default: '6',
    help: 'downloads in flight per host, at most (halved on 429/503/timeouts, grown back on success)',
  },
  { name: 'attempts', kind: 'count', default: '5', help: 'attempts per file, the first included' },
  {
    name: 'deadline',
    kind: 'duration',
    default: 'none',
    help: 'time limit for the whole run (e.g. 30s, 2m)',
  },
  {
    name: 'connect-timeout',
    kind: 'duration',
    default: '5s',
    help: 'per request: time to connect',
  },
  {
    name: 'headers-timeout',
    kind: 'duration',
    default: '10s',
    help: 'per request: time to the response headers',
  },
  {
    name: 'body-timeout',
    kind: 'duration',
    default: '1s',
    help: 'per request: longest silence inside a body',
  },
  {
    name: 'grace',
    kind: 'duration',
    default: '5s',
    help: 'on Ctrl-C: time in-flight downloads get to finish',
  },
  {
    name: 'threads',
    kind: 'count',
    default: String(defaultThreads),
    help: 'worker threads for hashing and analysis (cores - 1)',
  },
  {
    name: 'verbose',
    kind: 'boolean',
    default: false,
    help: 'a line on stderr per finished or failed file',
    short: 'v',
  },
  { name: 'help', kind: 'boolean', default: false, help: 'show this help', short: 'h' },
];

export const usage = (): string => {
  const lines = FLAGS.map((flag) => {
    const value =
      flag.kind === 'boolean' ? '' : ` <${flag.kind === 'string' ? 'path' : flag.kind}>`;
    const name = `${flag.short ? `-${flag.short}, ` : '    '}--${flag.name}${value}`;
    const fallback =
      flag.default === undefined || flag.default === false ? '' : ` (default ${flag.default})`;
    return `  ${name.padEnd(34)}${flag.help}${fallback}`;
  });
  return [
    'Usage: pnpm start [-- flags]   or   node --import tsx src/main.ts [flags]',
    '',
    'Downloads files through one Tandem pipeline (I/O on the event loop, SHA-256 and a content',
    'analysis in worker threads), from an embedded fixture server with planned failures, or',
    'from --urls. Results on stdout, progress on stderr. Ctrl-C stops cleanly; --resume continues.',
    'Exit codes: 0 every file ok, 1 some failed, 2 usage, 130 interrupted.',
    '',
    ...lines,
  ].join('\n');
};

/** Parses `args` (without the node and script paths). */
export function parseCommandLine(args: readonly string[]): Config {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      // pnpm forwards a literal `--` from `pnpm start -- --files 10`; skip it.
      args: args.filter((arg) => arg !== '--'),
      options: Object.fromEntries(
        FLAGS.map((f) => [
          f.name,
          {
            type: f.kind === 'boolean' ? 'boolean' : 'string',
            ...(f.short ? { short: f.short } : {}),
          },
        ]),
      ) as ParseArgsConfig['options'],
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const read = (name: string) => values[name] ?? FLAGS.find((f) => f.name === name)!.default;
  const count = (name: string, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    parseCount(name, read(name) as string, min, max);
  const duration = (name: string, min = 0) => parseDuration(name, read(name) as string, min);
  const minSize = parseSize('min-size', read('min-size') as string);
  const maxSize = parseSize('max-size', read('max-size') as string);
  if (maxSize < minSize)
    throw new UsageError(`Expected --max-size >= --min-size, got ${maxSize} < ${minSize}`);
  const files = count('files');
  // The fixture keeps every file in memory.
  if (values.urls === undefined && files * ((minSize + maxSize) / 2) > FIXTURE_BYTES) {
    throw new UsageError(
      `Expected the fixture to fit in ${FIXTURE_BYTES / 1024 ** 3} GiB of memory, got --files ${files} of ${minSize}-${maxSize} bytes`,
    );
  }
  return {
    files,
    minSize,
    maxSize,
    latency: parseRange('latency', read('latency') as string),
    failures: {
      retryAfter: count('fail-503'),
      error: count('fail-500'),
      reset: count('fail-reset'),
      stall: count('fail-stall'),
      missing: count('fail-404'),
    },
    hosts: count('hosts', 1, 64),
    seed: count('seed'),
    urls: values.urls as string | undefined,
    out: read('out') as string,
    resume: read('resume') as boolean,
    concurrency: count('concurrency', 1),
    perHost: count('per-host', 1),
    attempts: count('attempts', 1),
    deadline: duration('deadline'),
    timeouts: {
      connect: duration('connect-timeout', 1),
      headers: duration('headers-timeout', 1),
      bodyIdle: duration('body-timeout', 1),
    },
    grace: duration('grace'),
    threads: count('threads', 1, 256),
    verbose: read('verbose') as boolean,
    help: read('help') as boolean,
  };
}

function parseCount(name: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(Number.isSafeInteger(value) && value >= min && value <= max)) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new UsageError(
      `Expected --${name} to be an integer ${range}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `1000`, `16k`, `1.5m` → bytes (binary units). */
export function parseSize(name: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)([kmg]?)b?$/i.exec(text.trim());
  const value = match
    ? Math.round(Number(match[1]) * SIZE_UNITS[match[2]!.toLowerCase()]!)
    : Number.NaN;
  // Each fixture file lives in memory: keep a typo from asking for terabytes.
  if (!(value >= 0 && value <= 256 * 1024 ** 2)) {
    throw new UsageError(
      `Expected --${name} to be a size from 0 to 256m such as 16k, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, '': 1, s: 1000, m: 60_000 };

/** `500`, `500ms`, `2s`, `1.5m` → ms, at least `min`; `none` → Infinity. */
export function parseDuration(name: string, text: string, min = 0): number {
  if (text === 'none') return Number.POSITIVE_INFINITY;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  const value = match ? Number(match[1]) * DURATION_UNITS[match[2] ?? '']! : Number.NaN;
  if (!(Number.isFinite(value) && value >= min)) {
    throw new UsageError(
      `Expected --${name} to be a duration of at least ${min} ms such as 500ms, 2s or none, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

/** `20-80` or `50` → `{ min, max }` in ms. */
export function parseRange(name: string, text: string): { min: number; max: number } {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  const min = Number(match?.[1] ?? Number.NaN);
  const max = Number(match?.[2] ?? match?.[1] ?? Number.NaN);
  if (!(min <= max && max <= 600_000)) {
    throw new UsageError(
      `Expected --${name} to be min-max in ms such as 20-80, got ${JSON.stringify(text)}`,
    );
  }
  return { min, max };
}
