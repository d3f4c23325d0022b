import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Measured, Sizes } from '../src/scenarios/web-offload.ts';
import { markdownDocument, renderBody } from '../src/scenarios/web-offload-document.ts';
import type { LoadResult } from '../src/scenarios/web-offload-load.ts';
import { rowsAndTargets } from '../src/scenarios/web-offload-report.ts';
import {
  anyThreadRunnable,
  cpuMs,
  metricValue,
  rssMiB,
} from '../src/scenarios/web-offload-service.ts';

const exposition = `# HELP tandem_tasks_total Tasks settled.
# TYPE tandem_tasks_total counter
tandem_tasks_total{task="render",outcome="ok"} 12
tandem_tasks_total{task="render",outcome="cancelled"} 3
tandem_tasks_total{task="bio",outcome="cancelled"} 1
tandem_tasks_total_extra 99
# TYPE tandem_orphaned_task_seconds_total counter
tandem_orphaned_task_seconds_total{task="render"} 0.25
tandem_orphaned_task_seconds_total{task="bio"} 1e-3
`;

test('metricValue sums the samples of one name whose labels match', () => {
  assert.equal(metricValue(exposition, 'tandem_tasks_total'), 16);
  assert.equal(metricValue(exposition, 'tandem_tasks_total', { outcome: 'cancelled' }), 4);
  assert.equal(
    metricValue(exposition, 'tandem_tasks_total', { task: 'render', outcome: 'ok' }),
    12,
  );
  assert.equal(metricValue(exposition, 'tandem_orphaned_task_seconds_total'), 0.251);
  assert.equal(metricValue(exposition, 'tandem_missing_total'), 0);
});

test('markdownDocument has the size asked for, the same every time', () => {
  for (const bytes of [0, 1, 100, 8 * 1_024, 512 * 1_024]) {
    assert.equal(markdownDocument(bytes).length, bytes);
  }
  assert.equal(markdownDocument(4_096), markdownDocument(4_096));
  assert.equal(JSON.parse(renderBody(300)).markdown, markdownDocument(300));
});

test('the /proc readers see this process, and nothing for a pid that does not exist', {
  skip: process.platform !== 'linux',
}, () => {
  assert.ok(rssMiB(process.pid)! > 0);
  assert.ok(cpuMs(process.pid)! > 0);
  assert.equal(anyThreadRunnable(process.pid), true);
  // Above Linux's largest pid_max (2^22).
  assert.equal(rssMiB(2 ** 23), undefined);
  assert.equal(cpuMs(2 ** 23), undefined);
  assert.equal(anyThreadRunnable(2 ** 23), false);
});

const sizes: Sizes = {
  saturation: {
    seconds: 2,
    leadSeconds: 0.5,
    renderBytes: 8_192,
    renderConnections: 8,
    lightRate: 100,
    lightConnections: 10,
    warmUpRenders: 16,
    aloneSeconds: 1,
  },
  hangUp: {
    hangUps: 2,
    documentBytes: 512 * 1_024,
    hangUpAt: 1 / 3,
    warmUpRenders: 32,
    warmUpBytes: 8_192,
  },
  overload: { seconds: 2, renderBytes: 8_192, connections: 64, boundSeconds: 2 },
};

function load(status: Record<string, number>, extra: Partial<LoadResult> = {}): LoadResult {
  const latency = { p50: 1, p99: 2, max: 3 };
  return {
    startedAt: 0,
    finishedAt: 2_000,
    status,
    retryAfter: 0,
    latency,
    rawLatency: latency,
    errors: 0,
    timeouts: 0,
    cpuMs: 100,
    ...extra,
  };
}

function measured(cancelled: number, overloadStatus: Record<string, number>): Measured {
  return {
    saturation: new Map([
      [
        'tandem',
        {
          render: load({ 200: 400 }),
          light: load({ 200: 200 }),
          alone: load({ 200: 100 }),
          serverCpuPercent: 100,
          overlapped: true,
        },
      ],
    ]),
    hangUp: new Map([
      [
        'tandem',
        {
          hangUps: 2,
          fullRenderCpuMs: 300,
          fullRenderMs: 300,
          hangUpAfterMs: 100,
          cpuAfterHangUpsMs: 20,
          answeredFirst: 0,
          orphanedMs: 10,
          cancelled,
        },
      ],
    ]),
    overload: {
      load: load(overloadStatus, { retryAfter: overloadStatus['503'] ?? 0 }),
      serverCpuPercent: 150,
      rss: { start: 100, middle: 110, end: 111, peak: 115 },
    },
    exits: new Map([['tandem', 143]]),
    failures: [],
  };
}

const status = (result: ReturnType<typeof rowsAndTargets>, start: string) =>
  result.targets.find((target) => target.statement.startsWith(start))?.status;

test('a hang-up whose task was never cancelled misses the target, however little it cost', () => {
  const all = rowsAndTargets(measured(2, { 200: 10, 503: 90 }), sizes, 1, undefined);
  assert.equal(status(all, 'hang-up'), 'met');
  const some = rowsAndTargets(measured(1, { 200: 10, 503: 90 }), sizes, 1, undefined);
  assert.equal(status(some, 'hang-up'), 'missed');
});

test('an overload that never answered 503 misses the shedding target', () => {
  const shed = rowsAndTargets(measured(2, { 200: 10, 503: 90 }), sizes, 1, undefined);
  assert.equal(status(shed, 'overload: the service sheds'), 'met');
  const none = rowsAndTargets(measured(2, { 200: 100 }), sizes, 1, undefined);
  assert.equal(status(none, 'overload: the service sheds'), 'missed');
});

test('without piscina or inline rows their targets are not run, never met', () => {
  const result = rowsAndTargets(measured(2, { 503: 1 }), sizes, 1, undefined);
  assert.equal(status(result, '/render throughput'), 'not run');
  assert.equal(status(result, 'light route p99 inline'), 'not run');
});

test('a service whose /metrics lacks the orphaned seconds leaves the hang-up target not run', () => {
  const without = measured(2, { 503: 1 });
  const tandem = without.hangUp.get('tandem')!;
  without.hangUp.set('tandem', { ...tandem, orphanedMs: undefined, cancelled: undefined });
  assert.equal(status(rowsAndTargets(without, sizes, 1, undefined), 'hang-up'), 'not run');
});
