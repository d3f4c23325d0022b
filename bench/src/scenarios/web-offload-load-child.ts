/**
 * One load generator, in a process of its own: `node --import tsx web-offload-load-child.ts`
 * prints `ready` once loaded; then for each line on stdin (a `LoadSpec` as JSON) waits for its
 * `startAt`, runs autocannon against the service, and prints one JSON line (`LoadResult`) with
 * its own CPU use over the run. Exits when stdin closes. Run by the web-offload scenario; not
 * a scenario itself.
 *
 * @module
 */
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { renderBody } from './web-offload-document.ts';
import type { Latency, LoadResult, LoadSpec } from './web-offload-load.ts';

function percentiles(values: number[]): Latency {
  if (values.length === 0) return { p50: Number.NaN, p99: Number.NaN, max: Number.NaN };
  values.sort((a, b) => a - b);
  const at = (q: number) => values[Math.min(values.length - 1, Math.floor(q * values.length))]!;
  return { p50: at(0.5), p99: at(0.99), max: values.at(-1)! };
}

const hasRetryAfter = (headers: Record<string, unknown>) =>
  Object.keys(headers).some((name) => name.toLowerCase() === 'retry-after');

async function run(spec: LoadSpec): Promise<LoadResult> {
  const body = spec.documentBytes === undefined ? undefined : renderBody(spec.documentBytes);
  const raw: number[] = [];
  let retryAfter = 0;
  await sleep(Math.max(0, spec.startAt - Date.now()));
  const startedAt = Date.now();
  const cpu = process.cpuUsage();
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationSeconds,
    timeout: spec.timeoutSeconds,
    ...(spec.overallRate === undefined ? {} : { overallRate: spec.overallRate }),
    requests: [
      {
        method: spec.method,
        path: spec.path,
        ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
        onResponse: (status, _body, _context, headers) => {
          if (status === 503 && hasRetryAfter(headers as Record<string, unknown>)) retryAfter++;
        },
      },
    ],
    setupClient: (client) => {
      client.on('response', (_status: number, _bytes: number, ms: number) => raw.push(ms));
    },
  });
  const used = process.cpuUsage(cpu);
  const status: Record<string, number> = {};
  for (const [code, { count = 0 }] of Object.entries(result.statusCodeStats ?? {})) {
    status[code] = count;
  }
  return {
    startedAt,
    finishedAt: Date.now(),
    status,
    retryAfter,
    latency: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    rawLatency: percentiles(raw),
    errors: result.errors,
    timeouts: result.timeouts,
    cpuMs: (used.user + used.system) / 1_000,
  };
}

process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  const report = await run(JSON.parse(line) as LoadSpec);
  process.stdout.write(`${JSON.stringify(report)}\n`);
}
// Exit at once: a socket autocannon left half-closed must not keep the generator alive.
process.exit(0);
