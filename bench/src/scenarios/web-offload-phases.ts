/**
 * The two load phases of the web-offload scenario, each against a running service:
 * saturation (the CPU route driven flat out by fixed connections while a rate-mode generator
 * measures the light route beside it) and overload (far more connections than the pool can
 * serve, the service's RSS sampled throughout). Phase B, the hang-ups, is in
 * `web-offload-hang-up.ts`.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { renderBody } from './web-offload-document.ts';
import type { Generator, LoadResult } from './web-offload-load.ts';
import { cpuMs, rssMiB, type Service } from './web-offload-service.ts';

/** From telling the ready generators their spec to their common start. */
const startDelayMs = 100;
/** No request of A waits this long unless the service is broken (then it counts as an error). */
const timeoutSeconds = 10;
/** A warm-up request that takes longer than this has met a broken service. */
const warmUpTimeoutMs = 10_000;

export interface SaturationSizes {
  seconds: number;
  /** The CPU route is saturated this long before the light route is measured, and after. */
  leadSeconds: number;
  renderBytes: number;
  renderConnections: number;
  lightRate: number;
  lightConnections: number;
  warmUpRenders: number;
  /** The light route measured alone first, this long: the floor of generator, machine and service. */
  aloneSeconds: number;
}

export interface Saturation {
  render: LoadResult;
  light: LoadResult;
  /** The light route with no /render load beside it. */
  alone: LoadResult;
  /** The service's CPU (every thread) while the light route was measured, % of one core. */
  serverCpuPercent: number | undefined;
  /** Whether the light route's run lay inside the CPU route's (false: a generator started late). */
  overlapped: boolean;
}

/** JIT-warms the service's routes and starts its pool's threads before anything is timed. */
async function warmUp(service: Service, sizes: SaturationSizes): Promise<void> {
  const body = renderBody(sizes.renderBytes);
  const lane = async () => {
    for (let i = 0; i < Math.ceil(sizes.warmUpRenders / sizes.renderConnections); i++) {
      const signal = AbortSignal.timeout(warmUpTimeoutMs);
      const headers = { 'content-type': 'application/json' };
      const render = await fetch(`${service.url}/render`, {
        method: 'POST',
        body,
        headers,
        signal,
      });
      const light = await fetch(`${service.url}/users/1`, { signal });
      await Promise.all([render.arrayBuffer(), light.arrayBuffer()]);
      if (!render.ok || !light.ok) {
        throw new Error(`warm-up: /render ${render.status}, /users/1 ${light.status}`);
      }
    }
  };
  await Promise.all(Array.from({ length: sizes.renderConnections }, lane));
}

/** The two generators, each a process of its own: one for the CPU route, one for the light. */
export interface Generators {
  render: Generator;
  light: Generator;
}

export async function saturate(
  service: Service,
  generators: Generators,
  sizes: SaturationSizes,
): Promise<Saturation> {
  await warmUp(service, sizes);
  const lightSpec = {
    url: service.url,
    method: 'GET' as const,
    path: '/users/1',
    connections: sizes.lightConnections,
    overallRate: sizes.lightRate,
    timeoutSeconds,
  };
  const alone = await generators.light.run({
    ...lightSpec,
    durationSeconds: sizes.aloneSeconds,
    startAt: Date.now() + startDelayMs,
  });
  const leadMs = sizes.leadSeconds * 1_000;
  const startAt = Date.now() + startDelayMs;
  const renderRun = generators.render.run({
    url: service.url,
    method: 'POST',
    path: '/render',
    documentBytes: sizes.renderBytes,
    connections: sizes.renderConnections,
    durationSeconds: sizes.seconds + 2 * sizes.leadSeconds,
    timeoutSeconds,
    startAt,
  });
  const lightRun = generators.light.run({
    ...lightSpec,
    durationSeconds: sizes.seconds,
    startAt: startAt + leadMs,
  });
  const serverCpu = (async () => {
    await sleep(Math.max(0, startAt + leadMs - Date.now()));
    const before = cpuMs(service.pid);
    const start = performance.now();
    await sleep(sizes.seconds * 1_000);
    const after = cpuMs(service.pid);
    if (before === undefined || after === undefined) return undefined;
    return ((after - before) / (performance.now() - start)) * 100;
  })();
  const [render, light, serverCpuPercent] = await Promise.all([renderRun, lightRun, serverCpu]);
  // Both runs are timed by autocannon from their start: the light one lies inside the /render
  // one if it started no earlier, and no later than the lead allows.
  const offset = light.startedAt - render.startedAt;
  const overlapped = offset >= 0 && offset <= 2 * leadMs;
  return { render, light, alone, serverCpuPercent, overlapped };
}

export interface OverloadSizes {
  seconds: number;
  renderBytes: number;
  connections: number;
  /** A request without an answer after this long is counted as never answered. */
  boundSeconds: number;
}

export interface Overload {
  load: LoadResult;
  /** The service's CPU (every thread) during the overload, % of one core. */
  serverCpuPercent: number | undefined;
  /** The service's RSS, MiB: before the load, half-way through, at its end, and the highest seen. */
  rss: { start: number; middle: number; end: number; peak: number } | undefined;
}

/** Samples RSS every `everyMs` until `signal` aborts; the samples in order. */
async function sampleRss(pid: number, everyMs: number, signal: AbortSignal): Promise<number[]> {
  const samples: number[] = [];
  while (!signal.aborted) {
    const rss = rssMiB(pid);
    if (rss !== undefined) samples.push(rss);
    await sleep(everyMs, undefined, { signal }).catch(() => undefined);
  }
  return samples;
}

export async function overload(
  service: Service,
  generator: Generator,
  sizes: OverloadSizes,
): Promise<Overload> {
  const startAt = Date.now() + startDelayMs;
  const run = generator.run({
    url: service.url,
    method: 'POST',
    path: '/render',
    documentBytes: sizes.renderBytes,
    connections: sizes.connections,
    durationSeconds: sizes.seconds,
    timeoutSeconds: sizes.boundSeconds,
    startAt,
  });
  const start = rssMiB(service.pid);
  const stop = new AbortController();
  await sleep(Math.max(0, startAt - Date.now()));
  const cpuBefore = cpuMs(service.pid);
  const started = performance.now();
  const sampling = sampleRss(service.pid, 100, stop.signal);
  const middle = sleep((sizes.seconds * 1_000) / 2).then(() => rssMiB(service.pid));
  let load: LoadResult;
  try {
    load = await run;
  } finally {
    stop.abort();
  }
  const cpuAfter = cpuMs(service.pid);
  const serverCpuPercent =
    cpuBefore === undefined || cpuAfter === undefined
      ? undefined
      : ((cpuAfter - cpuBefore) / (performance.now() - started)) * 100;
  const end = rssMiB(service.pid);
  const samples = await sampling;
  const half = await middle;
  const rss =
    start === undefined || end === undefined || half === undefined
      ? undefined
      : { start, middle: half, end, peak: Math.max(start, end, ...samples) };
  return { load, serverCpuPercent, rss };
}
