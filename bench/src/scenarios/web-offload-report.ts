/**
 * The web-offload scenario's measurements as rows, judged targets and notes. One table for
 * the three phases, every value in ms, lower better: the light route's p99 (A), the service's
 * CPU after a hang-up (B), the slowest answer under overload (C); the rest in columns.
 *
 * @module
 */
import type { Row, ScenarioResult, Spread, TargetResult } from '../runner/result.ts';
import { judge, judgeTandem, notRun } from '../runner/target.ts';
import type { Measured, Sizes } from './web-offload.ts';
import { type LoadResult, ok } from './web-offload-load.ts';
import type { Overload } from './web-offload-phases.ts';

/**
 * The service's grace between asking a render to stop and ending its worker: Tandem's
 * default (`grace: 1000`), which examples/web-offload keeps.
 */
const graceMs = 1_000;

const targets = {
  light: {
    statement: 'light route p99 with tandem ≤ 20 ms while /render is saturated',
    comparison: '<=' as const,
    limit: 20,
    unit: 'ms',
  },
  inline: {
    statement: 'light route p99 inline ≥ 20 ms (the failure the offload exists to fix, shown)',
    comparison: '>=' as const,
    limit: 20,
    unit: 'ms',
  },
  throughput: {
    statement: '/render throughput tandem ≥ 0.95 × piscina',
    comparison: '>=' as const,
    limit: 0.95,
  },
  hangUp: {
    statement: `hang-up mid-render: the task is cancelled, CPU spent after the hang-up ≤ grace (${graceMs} ms) per task`,
    comparison: '<=' as const,
    limit: graceMs,
    unit: 'ms',
  },
  retryAfter: {
    statement: 'overload: the service sheds with 503, every 503 with Retry-After',
    comparison: '>=' as const,
    limit: 1,
  },
  unanswered: {
    statement: 'overload: no request left unanswered',
    comparison: '<=' as const,
    limit: 0,
    unit: 'requests',
  },
  goodput: {
    statement:
      'overload: renders answered 200 per second ≥ 0.5 × the saturated rate (shedding must not eat the capacity)',
    comparison: '>=' as const,
    limit: 0.5,
  },
  memory: {
    statement: 'overload: RSS flat, at the end ≤ 1.1 × half-way',
    comparison: '<=' as const,
    limit: 1.1,
  },
};

const single = (value: number): Spread => ({ median: value, min: value, max: value, count: 1 });
const seconds = (load: LoadResult) => (load.finishedAt - load.startedAt) / 1_000;
const cpuPercent = (load: LoadResult) => (load.cpuMs / (load.finishedAt - load.startedAt)) * 100;
const answered = (load: LoadResult) => Object.values(load.status).reduce((a, b) => a + b, 0);

function saturationRows(measured: Measured): Row[] {
  return [...measured.saturation].map(([mode, { render, light, alone, serverCpuPercent }]) => ({
    label: mode,
    group: 'A: /render saturated',
    value: single(light.latency.p99),
    extra: {
      'light p50': light.latency.p50,
      'light max': light.latency.max,
      'light p99 uncorrected': light.rawLatency.p99,
      'light p99 alone': alone.latency.p99,
      '/render ok/s': ok(render) / seconds(render),
      '/render 503': render.status['503'] ?? 0,
      'service CPU %': serverCpuPercent ?? '–',
      'generator CPU %': `${cpuPercent(render).toFixed(0)} + ${cpuPercent(light).toFixed(0)}`,
    },
  }));
}

function hangUpRows(measured: Measured): Row[] {
  return [...measured.hangUp].map(([mode, result]) => {
    // Tandem's counters see the render only when Tandem runs it.
    const counted = mode === 'tandem' && result.orphanedMs !== undefined;
    return {
      label: mode,
      group: 'B: hang-ups mid-render',
      value: single(result.cpuAfterHangUpsMs / result.hangUps),
      extra: {
        'full render CPU': result.fullRenderCpuMs,
        'orphaned ms/task': counted ? result.orphanedMs! / result.hangUps : '–',
        cancelled: counted ? `${result.cancelled}/${result.hangUps}` : '–',
      },
    };
  });
}

/** ms of CPU per KiB of markdown: the full render of B, inline (no thread in between) if it ran. */
function renderCostPerKiB(measured: Measured, documentBytes: number): number | undefined {
  const full = measured.hangUp.get('inline') ?? [...measured.hangUp.values()][0];
  return full && full.fullRenderCpuMs / (documentBytes / 1_024);
}

function overloadRow({ load, rss, serverCpuPercent }: Overload): Row {
  const shed = load.status['503'] ?? 0;
  return {
    label: 'tandem',
    group: 'C: overload',
    value: single(load.rawLatency.max),
    extra: {
      '/render ok/s': ok(load) / seconds(load),
      '/render 503': shed,
      'with Retry-After': load.retryAfter,
      statuses: Object.entries(load.status)
        .map(([code, count]) => `${code}: ${count}`)
        .join(', '),
      unanswered: load.errors,
      'service CPU %': serverCpuPercent ?? '–',
      'RSS start/half/end/peak MiB': rss
        ? [rss.start, rss.middle, rss.end, rss.peak].map((mib) => mib.toFixed(0)).join('/')
        : '–',
      'generator CPU %': cpuPercent(load).toFixed(0),
    },
  };
}

function hangUpTarget(measured: Measured, unavailable: string | undefined): TargetResult {
  const result = measured.hangUp.get('tandem');
  if (result && result.orphanedMs === undefined && !unavailable) {
    return notRun(
      targets.hangUp,
      "The service's /metrics has no tandem_orphaned_task_seconds_total.",
    );
  }
  const judged = judgeTandem(
    targets.hangUp,
    unavailable,
    result && result.orphanedMs! / result.hangUps,
    1,
    `tandem_orphaned_task_seconds_total from /metrics, before and after ${result?.hangUps ?? 0} hang-up(s), per hang-up (the time the worker went on running a task after its cancel: its thread's CPU time when it has a core; the B row's value is the service's CPU from /proc); ${result?.cancelled ?? 0} render(s) counted cancelled in tandem_tasks_total.`,
  );
  // A render that was never cancelled ran to its end with no orphaned time: not a pass.
  if (judged.status === 'met' && result && (result.cancelled ?? 0) < result.hangUps) {
    return {
      ...judged,
      status: 'missed',
      detail: `Not every hang-up cancelled its task. ${judged.detail}`,
    };
  }
  return judged;
}

/** How large a per-request leak the memory bound would catch, given the requests answered. */
function sensitivity(result: Overload | undefined): string {
  if (!result?.rss) return '';
  const secondHalf = answered(result.load) / 2;
  const kib = ((targets.memory.limit - 1) * result.rss.middle * 1_024) / secondHalf;
  return `With ${Math.round(secondHalf)} answers in the second half, only a leak above ~${kib.toFixed(1)} KiB per request would exceed the bound.`;
}

function overloadTargets(
  result: Overload | undefined,
  unavailable: string | undefined,
  boundSeconds: number,
): TargetResult[] {
  const load = result?.load;
  const shed = load?.status['503'] ?? 0;
  const retryAfter = judgeTandem(
    targets.retryAfter,
    unavailable,
    load?.retryAfter,
    load && (shed === 0 ? undefined : shed),
    `503 responses carrying Retry-After ÷ 503 responses (${shed} of ${load ? answered(load) : 0} answers were 503).`,
  );
  const noShed = load && shed === 0 && !unavailable;
  return [
    noShed
      ? {
          ...retryAfter,
          status: 'missed',
          detail: 'No 503 at all: the load did not overload the service.',
        }
      : retryAfter,
    judgeTandem(
      targets.unanswered,
      unavailable,
      load?.errors,
      1,
      `autocannon's errors: requests with no answer within ${boundSeconds} s (${load?.timeouts ?? 0}) and connection errors; requests still in flight when the run stopped are not counted.`,
    ),
    judgeTandem(
      targets.memory,
      unavailable,
      result?.rss?.end,
      result?.rss?.middle,
      `VmRSS of the service (every thread) half-way through the overload and at its end: the first half lets V8 size its heap to the load, a leak per request keeps growing through the second. ${sensitivity(result)}`,
    ),
  ];
}

/** What makes a row weaker than it looks, said next to it. */
function caveats(measured: Measured): string[] {
  const notes: string[] = [];
  for (const [mode, { overlapped }] of measured.saturation) {
    if (!overlapped) {
      notes.push(
        `${mode}: a generator started late, so part of the light route's run had no /render load beside it.`,
      );
    }
  }
  for (const [mode, { answeredFirst, hangUps }] of measured.hangUp) {
    if (answeredFirst > 0) {
      notes.push(
        `${mode}: ${answeredFirst} of ${hangUps} hang-up request(s) were answered before the client hung up.`,
      );
    }
  }
  return notes;
}

export function rowsAndTargets(
  measured: Measured,
  sizes: Sizes,
  threads: number,
  unavailable: string | undefined,
): Omit<ScenarioResult, 'name' | 'title' | 'elapsedMs'> {
  const rows = [
    ...saturationRows(measured),
    ...hangUpRows(measured),
    ...(measured.overload ? [overloadRow(measured.overload)] : []),
  ];
  const rate = (mode: 'piscina' | 'tandem') => {
    const render = measured.saturation.get(mode)?.render;
    return render && ok(render) / seconds(render);
  };
  const { saturation, hangUp, overload } = sizes;
  const perKiB = renderCostPerKiB(measured, hangUp.documentBytes);
  return {
    metric: {
      name: 'light p99 (A) · CPU after a hang-up (B) · slowest answer (C)',
      unit: 'ms',
      better: 'lower',
    },
    rows,
    targets: [
      judgeTandem(
        targets.light,
        unavailable,
        measured.saturation.get('tandem')?.light.latency.p99,
        1,
        'autocannon in rate mode (HdrHistogram corrected for coordinated omission).',
      ),
      judge(
        targets.inline,
        measured.saturation.get('inline')?.light.latency.p99,
        1,
        'Same measure.',
      ),
      judgeTandem(
        targets.throughput,
        unavailable,
        rate('tandem'),
        rate('piscina'),
        '2xx responses per second of the /render generator.',
      ),
      hangUpTarget(measured, unavailable),
      ...overloadTargets(measured.overload, unavailable, overload.boundSeconds),
      judgeTandem(
        targets.goodput,
        unavailable,
        measured.overload &&
          (measured.overload.load.status['200'] ?? 0) / seconds(measured.overload.load),
        rate('tandem'),
        "200s per second of the overload's generator ÷ tandem's /render rate in A. The loop that answers thousands of 503s a second comes back to the pool late; a worker that holds only what a free loop needs idles in between (before the pool sized held work by the loop's lag: 0.11 ×).",
      ),
    ],
    notes: [
      `${threads} thread(s) for every mode; one service process per mode, started by its command line, stopped with SIGTERM (exit codes: ${[...measured.exits].map(([mode, code]) => `${mode} ${code}`).join(', ')}).`,
      `A: ${saturation.renderConnections} connections post a ${saturation.renderBytes / 1_024} KiB markdown document to /render for ${saturation.seconds + 2 * saturation.leadSeconds} s; inside that window a second autocannon sends GET /users/1 at ${saturation.lightRate} req/s over ${saturation.lightConnections} connections for ${saturation.seconds} s. ${perKiB === undefined ? '' : `One render of it costs about ${((perKiB * saturation.renderBytes) / 1_024).toFixed(1)} ms of CPU (B's full render, scaled by size). `}Light latencies are autocannon's rate-mode histogram (each response also records the requests it would have held up, 1 ms apart); "uncorrected" is each response's time from its send. autocannon's rate mode sends each connection's share of a second back to back from the start of that second, so the light route is sampled in bursts, against a /render load that is steady. "light p99 alone" is the same generator for ${saturation.aloneSeconds} s before, with no /render load: the floor that generator, machine and service give. One run per mode.`,
      'Each generator is its own process; its CPU use (process.cpuUsage over its run, % of one core) is the "generator CPU %" column (/render + light). "service CPU %" is the service process, every thread, while the light route was measured.',
      `B: a ${hangUp.documentBytes / 1_024} KiB document, posted and abandoned ${(hangUp.hangUpAt * 100).toFixed(0)}% of a full render's time after its last byte (${[...measured.hangUp].map(([mode, { hangUpAfterMs }]) => `${mode} ${hangUpAfterMs} ms`).join(', ')}), ${hangUp.hangUps} time(s) in a row, each once the service is idle; the value is the service's CPU (/proc, 10 ms ticks) from the hang-up until it is idle again, per hang-up; "full render CPU" is the same document answered in full. piscina can stop a running task only by terminating its worker, so its figure includes starting a new one.`,
      `C: ${overload.connections} connections post the phase-A document for ${overload.seconds} s, ignoring Retry-After (each 503 is followed by the next request at once).`,
      ...caveats(measured),
      ...measured.failures.map((failure) => `Not run: ${failure}.`),
    ],
  };
}
