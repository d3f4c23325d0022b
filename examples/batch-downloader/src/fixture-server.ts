/**
 * The embedded fixture server: `node:http` on 127.0.0.1 (ports chosen by the OS), serving N
 * files of seeded text with latency, planned failures (503 + Retry-After, 500, resets,
 * stalls, 404s) and resumable downloads (`Range` + `If-Range` against `ETag` /
 * `Last-Modified`). It records what it was asked and what it sent, so tests can check that a
 * file was never fetched twice, and its manifest holds every file's SHA-256.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answer, type FixtureEntry, type RequestRecord, rangeHeaders } from './fixture-answer.ts';
import {
  type FailureKind,
  type FailureMix,
  failurePlan,
  fileContent,
  fileSize,
  fixtureFileName,
  mixSeed,
  NO_FAILURES,
  prng,
} from './fixture-content.ts';

export interface FixtureOptions {
  /** Number of files. Default 100. */
  readonly files?: number;
  /** Seed of the content, sizes, latencies and failure plan. Default 1. */
  readonly seed?: number;
  /** File sizes in bytes, uniform in [minSize, maxSize]. Default 16 KiB to 192 KiB. */
  readonly minSize?: number;
  readonly maxSize?: number;
  /** Ms before each answer's headers, uniform in [min, max]. Default 0 to 0. */
  readonly latency?: { readonly min: number; readonly max: number };
  /** How many files fail in each way first (see {@link FailureMix}). Default none. */
  readonly failures?: Partial<FailureMix>;
  /** Seconds a 503 asks the client to wait (`Retry-After`). Default 1. */
  readonly retryAfterSeconds?: number;
  /**
   * Hosts to serve from: one listener each on 127.0.0.1 (ports chosen by the OS), so a
   * client's per-host limits apply; file `i` is served at host `i % hosts`. Default 1.
   */
  readonly hosts?: number;
}

export type { RequestRecord } from './fixture-answer.ts';

/** One file of the manifest, as it is now. */
export interface FixtureFile {
  readonly name: string;
  readonly url: string;
  readonly size: number;
  readonly sha256: string;
  readonly etag: string;
  readonly lastModified: string;
  /** How it misbehaves first, or `ok`; `missing` files are never served (404). */
  readonly fate: FailureKind | 'ok';
}

export interface FixtureServer {
  /** `http://127.0.0.1:<port>` of each host. */
  readonly origins: readonly string[];
  /** Every file, `missing` ones included (their hash is of what they would have been). */
  manifest(): readonly FixtureFile[];
  /** The URLs of every file, in order. */
  urls(): string[];
  /** What the server saw for `name`: its requests in order and the body bytes it wrote. */
  stats(name: string): { readonly requests: readonly RequestRecord[]; readonly bytesSent: number };
  /** Resolves once `count` requests for `name` have arrived (answered or not). */
  arrived(name: string, count: number): Promise<void>;
  /** Replaces `name`'s content with a new version (new bytes, ETag and Last-Modified). */
  change(name: string): FixtureFile;
  /** Stops listening and destroys open connections (stalled ones included). */
  close(): Promise<void>;
}

/** Last-Modified of version 0 of every file; each new version is a second later. */
const EPOCH = Date.UTC(2026, 0, 1);

/** Starts the server; resolves once it listens. */
export async function startFixtureServer(options: FixtureOptions = {}): Promise<FixtureServer> {
  const count = options.files ?? 100;
  const seed = options.seed ?? 1;
  const minSize = options.minSize ?? 16 * 1024;
  const maxSize = options.maxSize ?? 192 * 1024;
  const latency = options.latency ?? { min: 0, max: 0 };
  const retryAfter = options.retryAfterSeconds ?? 1;
  if (!(Number.isInteger(retryAfter) && retryAfter >= 0)) {
    throw new RangeError(`Expected retryAfterSeconds to be an integer >= 0, got ${retryAfter}`);
  }
  const hosts = options.hosts ?? 1;
  if (!(Number.isInteger(hosts) && hosts >= 1 && hosts <= 64)) {
    throw new RangeError(`Expected 1 <= hosts <= 64, got ${hosts}`);
  }
  if (!(Number.isInteger(count) && count >= 0))
    throw new RangeError(`Expected files >= 0, got ${count}`);
  if (!(Number.isInteger(minSize) && minSize >= 0 && maxSize >= minSize)) {
    throw new RangeError(`Expected 0 <= minSize <= maxSize, got ${minSize} and ${maxSize}`);
  }
  if (!(latency.min >= 0 && latency.max >= latency.min && Number.isFinite(latency.max))) {
    throw new RangeError(
      `Expected 0 <= latency.min <= latency.max, got ${latency.min}-${latency.max}`,
    );
  }
  const plan = failurePlan(seed, count, { ...NO_FAILURES, ...options.failures });
  const entries = new Map<string, FixtureEntry>();

  const version = (entry: FixtureEntry, next: number): void => {
    entry.version = next;
    entry.content = fileContent(seed, entry.index, next, entry.content.length);
    const sha256 = createHash('sha256').update(entry.content).digest('hex');
    entry.file = {
      ...entry.file,
      sha256,
      etag: `"${sha256.slice(0, 16)}"`,
      lastModified: new Date(EPOCH + next * 1000).toUTCString(),
    };
  };
  for (let index = 0; index < count; index++) {
    const name = fixtureFileName(index);
    const size = fileSize(seed, index, minSize, maxSize);
    const entry: FixtureEntry = {
      file: { name, url: '', size, sha256: '', etag: '', lastModified: '', fate: plan[index]! },
      index,
      content: Buffer.alloc(size),
      version: 0,
      arrived: 0,
      requests: [],
      bytesSent: 0,
      waiters: [],
    };
    version(entry, 0);
    entries.set(name, entry);
  }

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const entry = entries.get(decodeURIComponent(request.url ?? '').replace(/^\/files\//, ''));
    if (request.method !== 'GET' || entry === undefined) {
      response.writeHead(request.method === 'GET' ? 404 : 405).end();
      return;
    }
    const nth = entry.arrived++;
    for (const waiter of entry.waiters.filter((w) => w.count <= entry.arrived)) {
      entry.waiters.splice(entry.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    const delay = latencyFor(seed, entry.index, nth, latency);
    let answered = false;
    const timer = setTimeout(() => {
      answered = true;
      answer(entry, nth, request, response, retryAfter);
    }, delay);
    response.on('close', () => {
      clearTimeout(timer);
      if (!answered) {
        const { range, ifRange } = rangeHeaders(request);
        entry.requests.push({ range, ifRange, status: 0, outcome: 'aborted' });
      }
    });
  };

  const servers = Array.from({ length: hosts }, () => createServer(handle));
  const origins = await Promise.all(
    servers.map(async (server) => {
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }),
  );
  for (const entry of entries.values()) {
    const origin = origins[entry.index % hosts]!;
    entry.file = { ...entry.file, url: `${origin}/files/${entry.file.name}` };
  }

  const get = (name: string): FixtureEntry => {
    const entry = entries.get(name);
    if (entry === undefined) throw new RangeError(`No fixture file named ${name}`);
    return entry;
  };
  return {
    origins,
    manifest: () => [...entries.values()].map((e) => e.file),
    urls: () => [...entries.values()].map((e) => e.file.url),
    stats: (name) => {
      const entry = get(name);
      return { requests: [...entry.requests], bytesSent: entry.bytesSent };
    },
    arrived: (name, count) => {
      const entry = get(name);
      if (entry.arrived >= count) return Promise.resolve();
      return new Promise((resolve) => entry.waiters.push({ count, resolve }));
    },
    change: (name) => {
      const entry = get(name);
      version(entry, entry.version + 1);
      return entry.file;
    },
    close: async () => {
      await Promise.all(
        servers.map((server) => {
          const closed = once(server, 'close');
          server.close();
          server.closeAllConnections();
          return closed;
        }),
      );
    },
  };
}

/** The latency of request `nth` for file `index`: seeded, so a run is reproducible. */
function latencyFor(
  seed: number,
  index: number,
  nth: number,
  latency: { readonly min: number; readonly max: number },
): number {
  if (latency.max === 0) return 0;
  return latency.min + prng(mixSeed(seed, index, nth, 0x1a7))() * (latency.max - latency.min);
}
