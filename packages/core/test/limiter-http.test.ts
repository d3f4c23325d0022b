// The adaptive limiter against real HTTP servers on 127.0.0.1, driven through `limiter.run`
// with `fetch`: a server that answers 503 (with Retry-After) whenever more than K requests
// are in flight brings its key's limit down to about K, and one host's pause leaves another
// host's requests alone. Counts only: no wall-clock bounds (the pause test runs the limiter
// on the fake clock, so the pause lasts exactly as long as the test says).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, type TestContext, test } from 'node:test';
import { useFakeClock } from '../../workers/test/fake-clock.ts';
import { type Limiter, limiter } from '../src/limiter.ts';
import { flush, track } from './support/helpers.ts';

interface Host {
  readonly url: string;
  readonly key: string;
  /** Requests answered 200 / 503, and the most in flight at once. */
  readonly counts: { ok: number; busy: number; peak: number };
}

/**
 * A server that answers 503 with `Retry-After: retryAfter` when more than `k` requests are
 * in flight (this one included), else 200 after `holdMs` (so that requests overlap).
 */
async function startHost(
  t: TestContext,
  options: { k: number; retryAfter?: string; holdMs?: number; busyFirst?: number },
): Promise<Host> {
  const counts = { ok: 0, busy: 0, peak: 0 };
  let inFlight = 0;
  let busyFirst = options.busyFirst ?? 0;
  const server: Server = createServer((request, response) => {
    inFlight++;
    counts.peak = Math.max(counts.peak, inFlight);
    response.on('close', () => inFlight--);
    request.resume();
    if (inFlight > options.k || busyFirst > 0) {
      busyFirst--;
      counts.busy++;
      if (options.retryAfter !== undefined) response.setHeader('retry-after', options.retryAfter);
      response.statusCode = 503;
      response.end('busy');
      return;
    }
    setTimeout(() => {
      counts.ok++;
      response.end('ok');
    }, options.holdMs ?? 25);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/file`, key: `127.0.0.1:${port}`, counts };
}

/** An HTTP client's error: `status`, and `retryAfter` in ms from the `Retry-After` seconds. */
async function download(url: string, signal: AbortSignal | undefined): Promise<string> {
  const response = await fetch(url, { signal: signal ?? null });
  const body = await response.text();
  if (response.ok) return body;
  const seconds = Number(response.headers.get('retry-after') ?? Number.NaN);
  throw Object.assign(new Error(`HTTP ${response.status}`), {
    status: response.status,
    retryAfter: Number.isFinite(seconds) ? seconds * 1_000 : undefined,
  });
}

/** Downloads `url` through the limiter until it succeeds (a 503 is tried again). */
async function fetchThrough(l: Limiter, host: Host): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      await l.run((signal) => download(host.url, signal), { key: host.key });
      return attempt;
    } catch (error) {
      if ((error as { status?: number }).status !== 503) throw error;
    }
  }
}

describe('limiter: adaptive against real HTTP servers', () => {
  test('a server that refuses more than K at once brings its key down to about K', {
    timeout: 60_000,
  }, async (t) => {
    const K = 4;
    const host = await startHost(t, { k: K });
    const l = limiter({ concurrency: 16, adaptive: true });
    const N = 240;
    const limits: number[] = [];
    let done = 0;
    const busyAt: number[] = []; // the 503 count when each download finished
    await Promise.all(
      Array.from({ length: N }, async () => {
        await fetchThrough(l, host);
        done++;
        limits.push(l.keyStats(host.key).limit);
        busyAt.push(host.counts.busy);
      }),
    );
    const secondHalf = busyAt[N - 1]! - busyAt[N / 2 - 1]!;
    t.diagnostic(
      `503s: ${host.counts.busy} (second half ${secondHalf}); limits at the end: ${limits.slice(-20).join(' ')}`,
    );
    assert.equal(done, N);
    assert.equal(host.counts.ok, N);
    assert.ok(host.counts.busy > 0, 'it started above K: the server refused some');
    // The limit saws between about K/2 and K + 1 (AIMD probes one above K, is refused,
    // halves). The server sees less overlap than the client holds permits (the client's own
    // overhead, larger on a loaded machine), so a probe can overshoot: hence the median.
    const late = limits.slice(N / 2).sort((a, b) => a - b);
    assert.ok(late[late.length >> 1]! <= K + 1, `the limit stays about K: ${late.join(' ')}`);
    assert.ok(
      secondHalf * 5 < N / 2,
      `few refusals once converged: ${secondHalf} in the second half of ${N}`,
    );
    assert.deepEqual(l.stats(), { active: 0, waiting: 0, keys: 1, paused: false });
  });

  test('Retry-After from one host pauses that host only', { timeout: 60_000 }, async (t) => {
    const clock = useFakeClock(t);
    const slow = await startHost(t, { k: 100, busyFirst: 1, retryAfter: '120' });
    const fast = await startHost(t, { k: 100 });
    const l = limiter({ concurrency: 4, adaptive: true });
    await assert.rejects(
      l.run((signal) => download(slow.url, signal), { key: slow.key }),
      { status: 503, retryAfter: 120_000 },
    );
    assert.deepEqual(l.keyStats(slow.key), { active: 0, waiting: 0, limit: 2, pausedFor: 120_000 });
    const queued = Array.from({ length: 3 }, () =>
      track(l.run((signal) => download(slow.url, signal), { key: slow.key })),
    );
    const other = await Promise.all(
      Array.from({ length: 20 }, () =>
        l.run((signal) => download(fast.url, signal), { key: fast.key }),
      ),
    );
    assert.equal(other.length, 20);
    assert.equal(fast.counts.ok, 20);
    await flush();
    assert.ok(
      queued.every((q) => !q.settled()),
      'the paused host’s requests wait while the other host is served',
    );
    assert.equal(slow.counts.busy + slow.counts.ok, 1, 'nothing reached the paused host');
    assert.equal(l.keyStats(slow.key).waiting, 3);
    clock.advance(120_000);
    assert.deepEqual(await Promise.all(queued.map((q) => q.promise)), ['ok', 'ok', 'ok']);
    assert.equal(slow.counts.ok, 3);
  });
});
