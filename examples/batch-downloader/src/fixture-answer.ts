/**
 * How the fixture answers one request: the planned failures (404, 503 + Retry-After, 500,
 * resets before the headers or mid-body, stalls mid-body) and then the file, whole or as the
 * slice that `Range` + `If-Range` ask for, written in chunks with backpressure.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type FailureKind, failingRequests } from './fixture-content.ts';
import { answerRange } from './fixture-range.ts';
import type { FixtureFile } from './fixture-server.ts';

/** One request as the server saw it. */
export interface RequestRecord {
  readonly range: string | undefined;
  readonly ifRange: string | undefined;
  readonly status: number;
  /** `served` (the body was sent whole), or the planned failure that happened instead. */
  readonly outcome: 'served' | 'aborted' | FailureKind;
}

/** A file as the server keeps it: its manifest line, its bytes and what happened to it. */
export interface FixtureEntry {
  file: FixtureFile;
  readonly index: number;
  content: Buffer;
  version: number;
  /** Requests received so far: the failure plan and the latencies count arrivals. */
  arrived: number;
  readonly requests: RequestRecord[];
  bytesSent: number;
  /** `arrived()` calls waiting for a count of arrivals. */
  readonly waiters: { count: number; resolve: () => void }[];
}

const CHUNK = 16 * 1024;

/**
 * Answers request `nth` for `entry` as its fate says: a planned failure while it lasts, then
 * the file (whole, or the slice that `Range` + `If-Range` ask for). Records the outcome.
 */
export function answer(
  entry: FixtureEntry,
  nth: number,
  request: IncomingMessage,
  response: ServerResponse,
  retryAfter: number,
): void {
  const { file } = entry;
  const { range, ifRange } = rangeHeaders(request);
  const failing = nth < failingRequests(file.fate);
  const record = (status: number, outcome: RequestRecord['outcome']) =>
    entry.requests.push({ range, ifRange, status, outcome });
  if (failing && file.fate === 'missing') {
    record(404, 'missing');
    response.writeHead(404, { 'content-length': 0 }).end();
    return;
  }
  if (failing && file.fate === 'retryAfter') {
    record(503, 'retryAfter');
    // Alternate the two forms of Retry-After: delay-seconds, then an HTTP date.
    const value =
      nth % 2 === 0 ? String(retryAfter) : new Date(Date.now() + retryAfter * 1000).toUTCString();
    response.writeHead(503, { 'retry-after': value, 'content-length': 0 }).end();
    return;
  }
  if (failing && file.fate === 'error') {
    record(500, 'error');
    response.writeHead(500, { 'content-length': 0 }).end();
    return;
  }
  if (failing && file.fate === 'resetBefore') {
    record(0, 'resetBefore');
    request.socket.destroy();
    return;
  }
  const slice = answerRange(range, ifRange, file.size, file);
  const headers: Record<string, string | number> = {
    etag: file.etag,
    'last-modified': file.lastModified,
    'accept-ranges': 'bytes',
    'content-type': 'text/plain; charset=utf-8',
  };
  if (slice.status === 416) {
    record(416, 'served');
    response.writeHead(416, { ...headers, 'content-range': `bytes */${file.size}` }).end();
    return;
  }
  const [start, end] = slice.status === 206 ? [slice.start, slice.end] : [0, file.size - 1];
  if (slice.status === 206) headers['content-range'] = `bytes ${start}-${end}/${file.size}`;
  headers['content-length'] = end - start + 1;
  response.writeHead(slice.status, headers);
  // A planned mid-body failure cuts the body halfway through what this answer would send.
  const cut = failing && (file.fate === 'resetMid' || file.fate === 'stall');
  const stop = cut ? start + Math.floor((end - start + 1) / 2) : end + 1;
  const outcome = cut ? (file.fate as FailureKind) : 'served';
  const status = slice.status;
  void send(entry, response, entry.content.subarray(start, stop)).then((sent) => {
    if (!sent) return record(status, 'aborted');
    record(status, outcome);
    if (!cut) response.end();
    // The connection dies a moment after the data, as a real one does (and as a client
    // that has read what came can keep it).
    else if (file.fate === 'resetMid') {
      const timer = setTimeout(() => request.socket.destroy(), 50);
      response.on('close', () => clearTimeout(timer));
    }
    // A stall sends nothing more: the connection stays open until the client gives up.
  });
}

/** Writes `body` in chunks, honouring backpressure; false if the client went away. */
async function send(entry: FixtureEntry, response: ServerResponse, body: Buffer): Promise<boolean> {
  for (let at = 0; at < body.length; at += CHUNK) {
    if (response.destroyed) return false;
    const chunk = body.subarray(at, at + CHUNK);
    entry.bytesSent += chunk.length;
    if (at + CHUNK >= body.length) {
      // The last chunk: wait until it reached the socket, so that a reset that follows
      // does not discard what was sent before it.
      await new Promise<void>((resolve) => response.write(chunk, () => resolve()));
    } else if (!response.write(chunk)) {
      await drainedOrClosed(response);
    }
  }
  return !response.destroyed;
}

export function rangeHeaders(request: IncomingMessage) {
  const ifRange = request.headers['if-range'];
  return { range: request.headers.range, ifRange: Array.isArray(ifRange) ? ifRange[0] : ifRange };
}

/** Resolves on the response's next 'drain' or 'close', whichever comes first. */
function drainedOrClosed(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}
