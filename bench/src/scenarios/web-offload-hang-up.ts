/**
 * Phase B of the web-offload scenario: clients that post a large document to `POST /render`
 * and hang up while it renders. What the service spends after a hang-up is read two ways:
 * the CPU time of its process from `/proc` until it goes idle again (any mode: shows what
 * inline and piscina do too), and Tandem's own account, `tandem_orphaned_task_seconds_total`
 * and the cancelled tasks in `tandem_tasks_total`, scraped from `/metrics` before and after.
 *
 * @module
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { renderBody } from './web-offload-document.ts';
import {
  anyThreadRunnable,
  cpuMs,
  metricValue,
  type Service,
  scrape,
} from './web-offload-service.ts';

export interface HangUpSizes {
  hangUps: number;
  documentBytes: number;
  /**
   * When the client hangs up, as a fraction of the time a full render of the document took
   * (measured first, on this machine): mid-render whatever the machine's speed.
   */
  hangUpAt: number;
  warmUpRenders: number;
  warmUpBytes: number;
}

export interface HangUps {
  hangUps: number;
  /** Service CPU of one big render answered in full, ms: what a hang-up could waste at most. */
  fullRenderCpuMs: number;
  /** Its wall time, ms: the hang-up must come before it to be a hang-up mid-task. */
  fullRenderMs: number;
  /** Ms from the request's last byte to the hang-up. */
  hangUpAfterMs: number;
  /** Service CPU from each hang-up until the service was idle again, summed, ms. */
  cpuAfterHangUpsMs: number;
  /** Requests the service answered before the client could hang up (the render was too short). */
  answeredFirst: number;
  /** From `/metrics` (undefined where the service does not export them). */
  orphanedMs: number | undefined;
  cancelled: number | undefined;
}

/**
 * A 100 ms window in which the service used at most this much CPU (one 10 ms tick), and at
 * whose end none of its threads is running or waiting for a core, is idle.
 */
const idleWindowMs = 100;
const idleCpuMs = 10;
/** Longer than any render here plus the grace: past it the service is busy for good (a bug). */
const idleBoundMs = 15_000;

/** Resolves once the service has been idle for a whole window; the CPU reading then. */
async function idle(service: Service): Promise<number> {
  const deadline = performance.now() + idleBoundMs;
  let last = cpuMs(service.pid) ?? 0;
  while (performance.now() < deadline) {
    await sleep(idleWindowMs);
    const now = cpuMs(service.pid) ?? 0;
    if (now - last <= idleCpuMs && !anyThreadRunnable(service.pid)) return now;
    last = now;
  }
  throw new Error(`the ${service.mode} service stayed busy for ${idleBoundMs} ms`);
}

/**
 * Posts `body` and hangs up `afterMs` after its last byte went out. Resolves once the
 * connection is closed: true for a hang-up, false if the service answered first.
 */
function postAndHangUp(service: Service, body: string, afterMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let answered = false;
    const request = http.request(`${service.url}/render`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    request.on('response', (response) => {
      answered = true;
      response.resume();
    });
    // The hang-up itself surfaces as an 'error' (socket hang up): expected.
    request.on('error', () => undefined);
    request.on('close', () => resolve(!answered));
    request.end(body, () => {
      setTimeout(() => request.destroy(), afterMs);
    });
  });
}

async function orphanCounters(service: Service) {
  const text = await scrape(service).catch(() => '');
  if (!text.includes('tandem_orphaned_task_seconds_total')) return undefined;
  return {
    orphanedMs: metricValue(text, 'tandem_orphaned_task_seconds_total') * 1_000,
    cancelled: metricValue(text, 'tandem_tasks_total', { outcome: 'cancelled' }),
  };
}

export async function hangUps(service: Service, sizes: HangUpSizes): Promise<HangUps> {
  const body = renderBody(sizes.documentBytes);
  const render = async (document: string) => {
    const response = await fetch(`${service.url}/render`, {
      method: 'POST',
      body: document,
      headers: { 'content-type': 'application/json' },
      signal: AbortSignal.timeout(idleBoundMs),
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`a render answered ${response.status}`);
  };
  // A worker piscina replaced when the saturation's connections closed is cold: small renders
  // warm it (the JIT's tiers), so the full render below is timed warm in every mode.
  const small = renderBody(sizes.warmUpBytes);
  for (let i = 0; i < sizes.warmUpRenders; i++) await render(small);
  let before = await idle(service);
  const started = performance.now();
  await render(body);
  const fullRenderMs = performance.now() - started;
  const fullRenderCpuMs = (await idle(service)) - before;
  const hangUpAfterMs = Math.round(fullRenderMs * sizes.hangUpAt);
  const counters = await orphanCounters(service);
  let cpuAfterHangUpsMs = 0;
  let answeredFirst = 0;
  for (let i = 0; i < sizes.hangUps; i++) {
    await idle(service);
    if (!(await postAndHangUp(service, body, hangUpAfterMs))) answeredFirst++;
    before = cpuMs(service.pid) ?? 0;
    cpuAfterHangUpsMs += (await idle(service)) - before;
  }
  const after = await orphanCounters(service);
  return {
    hangUps: sizes.hangUps,
    fullRenderCpuMs,
    fullRenderMs,
    hangUpAfterMs,
    cpuAfterHangUpsMs,
    answeredFirst,
    orphanedMs: counters && after && after.orphanedMs - counters.orphanedMs,
    cancelled: counters && after && after.cancelled - counters.cancelled,
  };
}
