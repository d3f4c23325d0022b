/**
 * How a download fails: one class per failure, each with a permanent `code`, and whether it
 * is worth another attempt (`transient`). HTTP errors carry `status` and `retryAfter` (ms),
 * the two properties Tandem's io stage and adaptive limiter read. Match on `code`.
 *
 * @module
 */

/** The common shape: a code, the URL, and whether trying again may succeed. */
export abstract class DownloadError extends Error {
  abstract readonly code: string;
  abstract readonly transient: boolean;
  readonly url: string;
  constructor(url: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.url = url;
  }
  override get name(): string {
    return this.constructor.name;
  }
}

/**
 * The server answered with a status that is not a success. Transient for 5xx, 408 and 429
 * (`ERR_DOWNLOAD_HTTP_STATUS`).
 */
export class HttpStatusError extends DownloadError {
  readonly code = 'ERR_DOWNLOAD_HTTP_STATUS' as const;
  readonly status: number;
  /** Ms the server asked to wait (`Retry-After`), if it did. */
  readonly retryAfter: number | undefined;
  constructor(url: string, status: number, retryAfter: number | undefined) {
    const wait = retryAfter === undefined ? '' : `; it asked to retry after ${retryAfter} ms`;
    super(url, `${url} answered HTTP ${status}${wait}`);
    this.status = status;
    this.retryAfter = retryAfter;
  }
  get transient(): boolean {
    return this.status >= 500 || this.status === 408 || this.status === 429;
  }
}

/** Which per-request timeout fired. */
export type TimeoutPhase = 'connect' | 'headers' | 'body';

/**
 * No connection, no headers, or no body bytes within the configured time: always transient
 * (`ERR_DOWNLOAD_TIMEOUT`). A body timeout keeps the `.part` for a `Range` continuation.
 */
export class DownloadTimeoutError extends DownloadError {
  readonly code = 'ERR_DOWNLOAD_TIMEOUT' as const;
  readonly transient = true;
  readonly phase: TimeoutPhase;
  constructor(url: string, phase: TimeoutPhase, options?: ErrorOptions) {
    super(url, `${url}: no ${phase === 'connect' ? 'connection' : phase} in time`, options);
    this.phase = phase;
  }
}

// Network failures that another attempt will not fix.
const PERMANENT_NETWORK = new Set([
  'ENOTFOUND',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * The connection failed or was reset (`ERR_DOWNLOAD_CONNECTION`); `cause` holds the socket
 * error. Transient unless the cause is a missing host or a bad certificate.
 */
export class ConnectionError extends DownloadError {
  readonly code = 'ERR_DOWNLOAD_CONNECTION' as const;
  readonly transient: boolean;
  constructor(url: string, cause: unknown) {
    const causeCode = (cause as { code?: unknown } | null)?.code;
    super(url, `${url}: connection failed (${String(causeCode ?? (cause as Error)?.message)})`, {
      cause,
    });
    this.transient = !(typeof causeCode === 'string' && PERMANENT_NETWORK.has(causeCode));
  }
}

/**
 * The answer did not fit the request: a 206 for another range, a body of the wrong length
 * (`ERR_DOWNLOAD_PROTOCOL`). Transient: the `.part` is dropped, so the next attempt starts over.
 */
export class ProtocolError extends DownloadError {
  readonly code = 'ERR_DOWNLOAD_PROTOCOL' as const;
  readonly transient = true;
}

/** Not an http(s) URL (`ERR_DOWNLOAD_INVALID_URL`): permanent. */
export class InvalidUrlError extends DownloadError {
  readonly code = 'ERR_DOWNLOAD_INVALID_URL' as const;
  readonly transient = false;
  constructor(url: string) {
    super(url, `Expected an http: or https: URL, got ${JSON.stringify(url)}`);
  }
}

/** Whether another attempt may succeed: only a {@link DownloadError} that says so. */
export function isTransient(error: unknown): boolean {
  return error instanceof DownloadError && error.transient;
}

/**
 * `Retry-After` in ms: delay-seconds (`120`) or an HTTP date, measured from `now`; a date in
 * the past is 0. Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Every HTTP-date form starts with a day name; Date.parse alone would take '5' for a year.
  const date = /^[A-Za-z]{3}/.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
