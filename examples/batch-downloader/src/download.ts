/**
 * One resumable download with undici 7: stream to `<dest>.part`, rename on success. An
 * existing `.part` is continued with `Range` + `If-Range` (the validator is kept beside it in
 * `<dest>.part.json`, written before the body): a 206 appends, a 200 means the file changed
 * and starts over. Failures are {@link DownloadError}s that say whether to try again; an abort
 * stops the request at once and deletes the `.part` (the caller gave up on this file).
 *
 * @module
 */
import { open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { Agent, type Dispatcher, interceptors, request } from 'undici';
import {
  ConnectionError,
  DownloadError,
  DownloadTimeoutError,
  HttpStatusError,
  InvalidUrlError,
  ProtocolError,
  parseRetryAfter,
} from './download-errors.ts';

/** Per-request timeouts in ms, by phase (`Infinity`: none); `bodyIdle` is the longest silence inside a body. */
export interface Timeouts {
  readonly connect: number;
  readonly headers: number;
  readonly bodyIdle: number;
}

/**
 * The dispatcher every download shares: keep-alive connections with the given timeouts,
 * following up to 5 redirects. Close it when done (`await agent.close()`).
 */
export function createAgent(timeouts: Timeouts, connections?: number): Dispatcher {
  // undici reads 0 as "no timeout"; Infinity (our "none") is not a valid value there.
  const ms = (value: number) => (Number.isFinite(value) ? value : 0);
  return new Agent({
    connect: { timeout: ms(timeouts.connect) },
    headersTimeout: ms(timeouts.headers),
    bodyTimeout: ms(timeouts.bodyIdle),
    ...(connections === undefined ? {} : { connections }),
  }).compose(interceptors.redirect({ maxRedirections: 5 }));
}

export interface DownloadOptions {
  /** From {@link createAgent}; default undici's global dispatcher (its default timeouts). */
  readonly dispatcher?: Dispatcher | undefined;
  /** Stops the request and the body at once; the `.part` is deleted, the call rejects with the reason. */
  readonly signal?: AbortSignal | undefined;
  /** Called with each body chunk's length as it is written. */
  readonly onBytes?: ((bytes: number) => void) | undefined;
}

/** A finished download. */
export interface Downloaded {
  readonly url: string;
  readonly path: string;
  /** Bytes of the finished file. */
  readonly size: number;
  /** Body bytes received by this call (less than `size` when it continued a `.part`). */
  readonly received: number;
  /** The offset this call continued from: 0 when it fetched the whole file. */
  readonly resumedFrom: number;
}

/** What `<dest>.part.json` holds: enough to ask for the rest of the same version. */
interface PartInfo {
  readonly url: string;
  readonly etag?: string | undefined;
  readonly lastModified?: string | undefined;
}

/**
 * Downloads `url` to `path` (its directory must exist). Continues `<path>.part` when its
 * sidecar names the same URL and a usable validator (a strong ETag, else Last-Modified).
 * A 416 to such a request means the `.part` already holds the whole file (the validator
 * matched, RFC 9110 §13.1.5), so it is renamed without a body.
 *
 * @throws HttpStatusError `ERR_DOWNLOAD_HTTP_STATUS`, DownloadTimeoutError
 * `ERR_DOWNLOAD_TIMEOUT`, ConnectionError `ERR_DOWNLOAD_CONNECTION`, ProtocolError
 * `ERR_DOWNLOAD_PROTOCOL`, InvalidUrlError `ERR_DOWNLOAD_INVALID_URL`; `signal.reason` on
 * abort; file-system errors as they are.
 */
export async function download(
  url: string,
  path: string,
  options: DownloadOptions = {},
): Promise<Downloaded> {
  const { signal } = options;
  signal?.throwIfAborted();
  checkUrl(url);
  const files = { part: `${path}.part`, info: `${path}.part.json` };
  try {
    // A second pass only when the server's answer made the `.part` useless (see `attempt`).
    return (
      (await attempt(url, path, files, options, true)) ??
      (await attempt(url, path, files, options, false))!
    );
  } catch (error) {
    if (signal?.aborted) {
      await removePart(files);
      throw signal.reason;
    }
    throw translate(url, error);
  }
}

/** One request. Undefined when the `.part` was dropped and a fresh request should follow. */
async function attempt(
  url: string,
  path: string,
  files: { part: string; info: string },
  { dispatcher, signal, onBytes }: DownloadOptions,
  mayResume: boolean,
): Promise<Downloaded | undefined> {
  const resume = mayResume ? await resumable(url, files) : undefined;
  const offset = resume?.offset ?? 0;
  const headers: Record<string, string> = {};
  if (resume) {
    headers.range = `bytes=${offset}-`;
    headers['if-range'] = resume.validator;
  }
  const response = await request(url, {
    headers,
    ...(dispatcher ? { dispatcher } : {}),
    ...(signal ? { signal } : {}),
  });
  const { statusCode, body } = response;
  const header = (name: string) => single(response.headers[name]);
  if (statusCode === 416 && resume) {
    await body.dump();
    // The validator matched (else the answer is a 200), so the server's length is current.
    if (header('content-range') === `bytes */${offset}`) {
      await finish(files, path);
      return { url, path, size: offset, received: 0, resumedFrom: offset };
    }
    await removePart(files);
    return undefined;
  }
  if (statusCode !== 200 && statusCode !== 206) {
    await body.dump().catch(() => {});
    throw new HttpStatusError(url, statusCode, parseRetryAfter(header('retry-after')));
  }
  let start = 0;
  let total = Number(header('content-length') ?? Number.NaN);
  if (statusCode === 206) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header('content-range') ?? '');
    if (!resume || !range || Number(range[1]) !== offset) {
      await body.dump().catch(() => {});
      await removePart(files);
      if (!resume) throw new ProtocolError(url, `${url} answered 206 to a request without Range`);
      return undefined;
    }
    start = offset;
    total = range[3] === '*' ? Number.NaN : Number(range[3]);
  } else {
    // A 200: the whole file, new or changed. Record its validator before any body byte lands.
    const info: PartInfo = { url, etag: header('etag'), lastModified: header('last-modified') };
    await writeFile(files.info, JSON.stringify(info));
  }
  // Each chunk is written before the next is read: when the body fails midway, every byte
  // received so far is in the `.part`, ready for a Range continuation.
  const received = await writeBody(body, files.part, start === 0 ? 'w' : 'a', onBytes);
  const size = start + received;
  if (!Number.isNaN(total) && size !== total) {
    await removePart(files);
    throw new ProtocolError(url, `${url}: expected ${total} bytes, got ${size}; starting over`);
  }
  await finish(files, path);
  return { url, path, size, received, resumedFrom: start };
}

/** Streams `body` into `path` (truncated with `w`, appended to with `a`), synced before close. */
async function writeBody(
  body: AsyncIterable<Buffer>,
  path: string,
  flags: 'w' | 'a',
  onBytes: ((bytes: number) => void) | undefined,
): Promise<number> {
  const handle = await open(path, flags);
  let received = 0;
  try {
    for await (const chunk of body) {
      for (let at = 0; at < chunk.length; ) {
        at += (await handle.write(chunk, at, chunk.length - at)).bytesWritten;
      }
      received += chunk.length;
      onBytes?.(chunk.length);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  return received;
}

/** The offset and validator to continue `.part` with, or undefined to start over. */
async function resumable(
  url: string,
  files: { part: string; info: string },
): Promise<{ offset: number; validator: string } | undefined> {
  // Most downloads are fresh: one stat, and the sidecar is read only when there is a part.
  const size = await stat(files.part).then(
    (s) => s.size,
    () => 0,
  );
  if (size === 0) return undefined;
  const info = await readFile(files.info, 'utf8')
    .then((text) => JSON.parse(text) as Partial<PartInfo> | null)
    .catch(() => undefined); // missing or half-written: not resumable
  if (typeof info !== 'object' || info === null || info.url !== url) return undefined;
  const { etag, lastModified } = info;
  const validator =
    typeof etag === 'string' && etag.startsWith('"')
      ? etag
      : typeof lastModified === 'string'
        ? lastModified
        : undefined;
  return validator ? { offset: size, validator } : undefined;
}

async function finish(files: { part: string; info: string }, path: string): Promise<void> {
  await rename(files.part, path);
  await removeFile(files.info);
}

async function removePart(files: { part: string; info: string }): Promise<void> {
  await Promise.all([removeFile(files.part), removeFile(files.info)]);
}

/** Deletes a file that may not exist (cheaper than `rm({ force })`, which walks the path first). */
async function removeFile(path: string): Promise<void> {
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

function checkUrl(url: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new InvalidUrlError(url);
  }
  if (protocol !== 'http:' && protocol !== 'https:') throw new InvalidUrlError(url);
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

const TIMEOUTS: Record<string, 'connect' | 'headers' | 'body'> = {
  UND_ERR_CONNECT_TIMEOUT: 'connect',
  UND_ERR_HEADERS_TIMEOUT: 'headers',
  UND_ERR_BODY_TIMEOUT: 'body',
};

// Socket-level failures: a reset, a refusal, a peer that closed early.
const NETWORK = /^(E[A-Z]+|UND_ERR_(SOCKET|CLOSED|DESTROYED|RES_CONTENT_LENGTH_MISMATCH))$/;

/** undici's and the socket's errors as ours; anything else (a file-system error) as it is. */
function translate(url: string, error: unknown): unknown {
  if (error instanceof DownloadError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return error;
  const phase = TIMEOUTS[code];
  if (phase) return new DownloadTimeoutError(url, phase, { cause: error });
  const syscall = (error as { syscall?: unknown }).syscall;
  // A file-system error has a path and a syscall such as open/write/rename; keep it.
  if ((error as { path?: unknown }).path !== undefined && syscall !== 'connect') return error;
  if (NETWORK.test(code)) return new ConnectionError(url, error);
  return error;
}
