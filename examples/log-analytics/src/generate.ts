/**
 * The access log the example analyses, written by the example itself: Apache's combined log
 * format plus the response time in microseconds (`%D`), e.g.
 *
 * ```text
 * 10.4.17.201 - - [30/Nov/2026:00:00:01 +0000] "GET /api/v1/items/42?page=3 HTTP/1.1" 200 5120 "-" "curl/8.5.0" 2830
 * ```
 *
 * Deterministic: the same `lines` and `seed` always give the same bytes. IPs and paths are
 * skewed (a few are hot, most are rare) as in real traffic, and about one line in a thousand is
 * malformed in one of a few realistic ways (truncated, garbage, a bad status, a lost quote).
 *
 * @module
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** mulberry32: a tiny seeded PRNG, plenty for test data, and the same on every platform. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const methods = ['GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'POST', 'POST', 'HEAD', 'PUT'];
const statuses = [200, 200, 200, 200, 200, 200, 200, 200, 304, 301, 201, 404, 404, 500, 503];
const agents = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'curl/8.5.0',
  'Go-http-client/2.0',
  'python-requests/2.32.3',
  'Googlebot/2.1 (+http://www.google.com/bot.html)',
];
const referers = [
  '-',
  '-',
  '-',
  'https://example.com/',
  'https://www.google.com/',
  'https://news.ycombinator.com/',
];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A skewed pick in [0, size): index 0 is the hottest, the tail is long. */
function skewed(next: () => number, size: number): number {
  const u = next();
  return Math.floor(size * u * u * u);
}

function makeIps(next: () => number, count: number): string[] {
  return Array.from(
    { length: count },
    () =>
      `${10 + Math.floor(next() * 200)}.${Math.floor(next() * 256)}.${Math.floor(next() * 256)}.${1 + Math.floor(next() * 254)}`,
  );
}

interface Resource {
  path: string;
  /** Typical body size: each response is within ±50 % of it. */
  size: number;
}

function makeResources(next: () => number, count: number): Resource[] {
  const kinds = [
    (i: number) => ({ path: `/api/v1/items/${i}`, size: 500 + next() * 4_000 }),
    (i: number) => ({ path: `/api/v1/users/${i}/orders`, size: 1_000 + next() * 20_000 }),
    (i: number) => ({
      path: `/static/js/app.${((i * 2654435761) >>> 0).toString(16).padStart(8, '0')}.js`,
      size: 50_000 + next() * 400_000,
    }),
    (i: number) => ({ path: `/static/img/photo-${i}.jpg`, size: 100_000 + next() * 2_000_000 }),
    (i: number) => ({ path: `/blog/${2020 + (i % 6)}/post-${i}`, size: 10_000 + next() * 50_000 }),
  ];
  return Array.from({ length: count }, (_, i) => kinds[Math.floor(next() * kinds.length)]!(i));
}

/** `[30/Nov/2026:00:00:01 +0000]` for a time in seconds; one Date per distinct second. */
function timestamp(seconds: number): string {
  const d = new Date(seconds * 1_000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `[${two(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000]`;
}

/** Some ways real log lines go wrong; each is malformed for the parser. */
function malformed(next: () => number, line: string): string {
  switch (Math.floor(next() * 4)) {
    case 0:
      return line.slice(0, Math.floor(line.length * next())); // truncated write
    case 1:
      return 'GET /favicon.ico'.repeat(1 + Math.floor(next() * 3)); // garbage
    case 2:
      return line.replace(/" (\d)\d\d /, '" $1O0 '); // a letter O in the status
    default:
      return line.replace('"', ''); // a lost quote
  }
}

export interface GenerateOptions {
  lines: number;
  seed: number;
}

/**
 * Yields the log in chunks of whole lines (each ends with `\n`), so the writer can honour
 * backpressure without building the whole file in memory.
 */
export function* logChunks({ lines, seed }: GenerateOptions): Generator<string> {
  const next = random(seed);
  const ips = makeIps(next, 50_000);
  const resources = makeResources(next, 5_000);
  let seconds = Date.UTC(2026, 10, 30) / 1_000;
  let stamp = timestamp(seconds);
  let chunk: string[] = [];
  for (let n = 0; n < lines; n++) {
    if (next() < 0.05) stamp = timestamp(++seconds);
    const status = statuses[Math.floor(next() * statuses.length)]!;
    const resource = resources[skewed(next, resources.length)]!;
    const query = next() < 0.3 ? `?page=${1 + Math.floor(next() * 20)}` : '';
    const bytes = status === 304 ? '-' : String(Math.floor(resource.size * (0.5 + next())));
    // Mostly a few ms, with a long tail up to seconds: p50 and p99 far apart, as in real life.
    const micros = Math.floor(300 + 4_000 * next() + (next() < 0.02 ? 2_000_000 * next() : 0));
    const user = next() < 0.05 ? `user${Math.floor(next() * 100)}` : '-';
    let line = `${ips[skewed(next, ips.length)]} - ${user} ${stamp} "${methods[Math.floor(next() * methods.length)]} ${resource.path}${query} HTTP/1.1" ${status} ${bytes} "${referers[Math.floor(next() * referers.length)]}" "${agents[Math.floor(next() * agents.length)]}" ${micros}`;
    if (next() < 0.001) line = malformed(next, line);
    chunk.push(line);
    if (chunk.length === 4_096) {
      yield `${chunk.join('\n')}\n`;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield `${chunk.join('\n')}\n`;
}

/**
 * Writes the log to `path`: to `path.tmp` first, renamed on success, so an interrupted
 * generation never leaves a short log that a later run would take for a whole one.
 */
export async function generateLog(path: string, options: GenerateOptions): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.tmp`;
  const out = createWriteStream(temporary);
  try {
    for (const chunk of logChunks(options)) {
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  } catch (error) {
    out.destroy();
    await rm(temporary, { force: true });
    throw error;
  }
  await rename(temporary, path);
}
