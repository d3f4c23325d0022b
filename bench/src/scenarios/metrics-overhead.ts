/**
 * metrics-overhead: what `@tandem/prometheus` costs the hot path. No-op `engine.run` calls,
 * 1,000 in flight, on one warm engine, in alternating rounds: without a collector, with
 * `collectEngineMetrics` (per-task typed-array tallies, labels built at scrape time), and with
 * the obvious alternative, an `onSettled` listener calling prom-client's own `inc()` and
 * `observe()` per task. Each round attaches its listener before the clock starts and removes it
 * after, so the engine, its workers and their warmth are shared. Then the time of one scrape
 * (`registry.metrics()`) with the collector's tallies full.
 *
 * @module
 */
import { Engine, type TaskSettledEvent } from '@tandem/core';
import { collectEngineMetrics, DEFAULT_BUCKETS } from '@tandem/prometheus';
import { Counter, Histogram, Registry } from 'prom-client';
import type { Row, Spread } from '../runner/result.ts';
import type { Scenario } from '../runner/scenario.ts';
import { rateOf, spreadOf } from '../runner/spread.ts';
import { judgeTandem, notRun } from '../runner/target.ts';
import { type Contender, runWindowed, timeOnce } from '../runner/workload.ts';
import type engineTasks from '../workers/engine-tasks.ts';

const target = {
  statement:
    'engine.run throughput with collectEngineMetrics ≥ 0.95 × without (no-ops, 1,000 in flight)',
  comparison: '>=' as const,
  limit: 0.95,
};

const labels = {
  none: 'no collector',
  collector: 'collectEngineMetrics',
  perTask: 'prom-client inc/observe per task',
};

type Attach = (engine: Engine<typeof engineTasks>) => () => void;

/** The alternative measured against the collector: prom-client's own API on every task. */
const perTaskPromClient: Attach = (engine) => {
  const registers = [new Registry()];
  const tasks = new Counter({
    name: 't_total',
    help: 'h',
    labelNames: ['task', 'outcome'],
    registers,
  });
  const options = { labelNames: ['task'], buckets: [...DEFAULT_BUCKETS], registers };
  const run = new Histogram({ name: 'run_seconds', help: 'h', ...options });
  const wait = new Histogram({ name: 'wait_seconds', help: 'h', ...options });
  return engine.pool.onSettled((event: TaskSettledEvent) => {
    tasks.inc({ task: event.task, outcome: event.outcome });
    wait.observe({ task: event.task }, event.waitMs / 1000);
    if (event.runMs > 0) run.observe({ task: event.task }, event.runMs / 1000);
  });
};

const collector: Attach = (engine) => {
  const metrics = collectEngineMetrics(engine, { registry: new Registry() });
  return () => metrics.close();
};

/**
 * Like `interleavedRounds`, but each round starts with the next contender: the runner's fixed
 * order would always put the same row right after the per-task prom-client row, whose
 * garbage the next round collects. The rows differ by a few percent, so the order shows.
 */
async function rotatedRounds(
  contenders: readonly Contender<string>[],
  rounds: number,
): Promise<Map<string, Spread>> {
  const values = new Map<string, number[]>(contenders.map(({ key }) => [key, []]));
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < contenders.length; i++) {
      const { key, round } = contenders[(r + i) % contenders.length]!;
      values.get(key)!.push(await round());
    }
  }
  return new Map([...values].map(([key, list]) => [key, spreadOf(list)]));
}

/** Times `scrapes` scrapes of a registry holding one collector, after `fill` ran tasks. */
async function timeScrapes(
  engine: Engine<typeof engineTasks>,
  scrapes: number,
  fill: () => Promise<unknown>,
): Promise<{ scrape: Spread; bytes: number }> {
  const registry = new Registry();
  const metrics = collectEngineMetrics(engine, { registry });
  try {
    await fill();
    let bytes = 0;
    const times: number[] = [];
    for (let i = 0; i < scrapes; i++) {
      times.push(await timeOnce(async () => (bytes = (await registry.metrics()).length)));
    }
    return { scrape: spreadOf(times), bytes };
  } finally {
    metrics.close();
  }
}

export const metricsOverhead: Scenario = {
  name: 'metrics-overhead',
  title: '`engine.run` throughput with and without the Prometheus collector',
  async run({ quick, threads, tandemUnavailable }) {
    if (tandemUnavailable) {
      return {
        metric: { name: 'throughput', unit: 'tasks/s', better: 'higher' },
        rows: [],
        targets: [notRun(target, `engine unavailable: ${tandemUnavailable}`)],
        notes: [],
      };
    }
    const tasks = quick ? 2_000 : 50_000;
    const inFlight = 1_000;
    const rounds = quick ? 2 : 9;
    const scrapes = quick ? 20 : 200;
    const engine = await Engine.start<typeof engineTasks>({
      tasks: new URL('../workers/engine-tasks.ts', import.meta.url),
      threads,
    });
    try {
      // Warm-up: workers loaded, code paths compiled, the cost model settled.
      await runWindowed(tasks, inFlight, (i) => engine.run('noop', i));
      const round = (attach: Attach | undefined) => async () => {
        const detach = attach?.(engine);
        try {
          return await timeOnce(() => runWindowed(tasks, inFlight, (i) => engine.run('noop', i)));
        } finally {
          detach?.();
        }
      };
      const contenders: Contender<string>[] = [
        { key: labels.none, round: round(undefined) },
        { key: labels.collector, round: round(collector) },
        { key: labels.perTask, round: round(perTaskPromClient) },
      ];
      const spreads = await rotatedRounds(contenders, rounds);

      const { scrape, bytes } = await timeScrapes(engine, scrapes, () =>
        runWindowed(tasks, inFlight, (i) => engine.run('noop', i)),
      );

      const rows: Row[] = [...spreads].map(([label, ms]) => ({
        label,
        value: rateOf(ms, tasks * 1_000),
        extra: { 'round (ms)': ms.median },
      }));
      const rate = (label: string) => rows.find((row) => row.label === label)?.value.median;
      const without = rate(labels.none);
      for (const row of rows)
        if (without) row.extra!['× no collector'] = row.value.median / without;
      const collectorRow = rows.find((row) => row.label === labels.collector);
      if (collectorRow) {
        collectorRow.extra!['scrape p50 (ms)'] = scrape.median;
        collectorRow.extra!['scrape max (ms)'] = scrape.max;
      }
      return {
        metric: { name: 'throughput', unit: 'tasks/s', better: 'higher' },
        rows,
        targets: [
          judgeTandem(
            target,
            undefined,
            rate(labels.collector),
            without,
            `Ratio of median rates over ${rounds} rounds on one engine, the order rotating each round.`,
          ),
        ],
        notes: [
          `${tasks.toLocaleString('en-US')} no-op runs per round, ${inFlight} in flight, ${rounds} rounds alternating between the three rows on one warm engine (each round starts with the next row); ${threads} thread(s).`,
          '`prom-client inc/observe per task` is the design the collector avoids: the same counter and two histograms filled by prom-client on every settled task (shown, not targeted).',
          `Scrape: \`registry.metrics()\` of a registry holding only the collector (4 task names, ${bytes.toLocaleString('en-US')} bytes of text), median and max of ${scrapes} scrapes.`,
        ],
      };
    } finally {
      await engine.close();
    }
  },
};
