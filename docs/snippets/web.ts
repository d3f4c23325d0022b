// The `web` prelude's fixtures: a local HTTP server (127.0.0.1, a free port) and the small
// HTTP helpers the docs call, so that snippets fetch real URLs without leaving the machine.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A page as the docs' pipelines pass it around. */
export interface Page {
  readonly url: string;
  readonly html: string;
}

/** The error an HTTP client would throw on a non-2xx answer. */
export class HttpError extends Error {
  readonly status: number;
  /** From a `Retry-After` header, in ms. */
  readonly retryAfterMs: number | undefined;
  constructor(status: number, retryAfterMs?: number) {
    super(`HTTP ${status}`);
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

export interface DocsServer extends AsyncDisposable {
  /** Five HTML pages: `/page/1` … `/page/5`. */
  readonly urls: string[];
  /** A JSON endpoint. */
  readonly apiUrl: string;
}

/** Starts the server; disposing it closes it, keep-alive connections included. */
export async function startServer(): Promise<DocsServer> {
  const server = createServer((request, response) => {
    const path = request.url ?? '/';
    if (path.startsWith('/api')) {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ path, ok: true }));
    } else {
      response.setHeader('content-type', 'text/html');
      response.end(`<html><title>${path}</title><body>A page at ${path}.</body></html>`);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    urls: [1, 2, 3, 4, 5].map((n) => `${base}/page/${n}`),
    apiUrl: `${base}/api/items`,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

async function get(url: string, signal: AbortSignal | undefined): Promise<Response> {
  const response = await fetch(url, { signal: signal ?? null });
  if (!response.ok) throw new HttpError(response.status);
  return response;
}

/** The body of `url` as text; throws `HttpError` on a non-2xx status. */
export async function fetchText(url: string, signal?: AbortSignal): Promise<string> {
  return (await get(url, signal)).text();
}

/** The body of `url` as JSON; throws `HttpError` on a non-2xx status. */
export async function fetchJson(url: string, options: { signal?: AbortSignal } = {}) {
  return (await get(url, options.signal)).json() as Promise<unknown>;
}

/** Fetches a page. */
export async function download(url: string, signal: AbortSignal): Promise<Page> {
  return { url, html: await fetchText(url, signal) };
}

const indexed = new Map<string, number>();

/** Indexes a page (here: counts its words). */
export async function index(page: Page): Promise<void> {
  indexed.set(page.url, page.html.split(/\s+/).length);
}
