/**
 * `collectEngineMetrics`: an engine's metrics in a prom-client registry.
 *
 * @module
 */

import { Counter, Gauge, type Metric } from 'prom-client';
import { DuplicateMetricError } from './errors.js';
import type { MeasuredEngine } from './options.js';
import { checkEngine, type EngineMetricsOptions, resolveOptions } from './options.js';
import { type Sample, ScrapeSampler } from './scrape-sample.js';
import { TallyHistogram } from './tally-histogram.js';
import { OUTCOMES, TaskTally } from './task-tally.js';

/** What {@link collectEngineMetrics} returns. */
export interface EngineMetrics extends Disposable {
  /** The metric names registered, prefix included. */
  readonly names: readonly string[];
  /**
   * Stops listening to the engine, stops the collector's event-loop histogram and removes its
   * metrics from the registry (only those still registered as its own). Idempotent; the
   * engine is left running.
   */
  close(): void;
}

/** The gauges read from one scrape's {@link Sample}: name (after the prefix), help, field. */
const GAUGES: readonly (readonly [string, string, keyof Sample])[] = [
  ['queue_depth', 'Tasks submitted and not yet handed to a worker.', 'queued'],
  [
    'tasks_in_workers',
    'Tasks handed to a worker and not settled (running or next in line).',
    'inWorkers',
  ],
  ['workers_alive', 'Worker threads alive.', 'workersAlive'],
  ['workers_busy', 'Worker threads holding at least one task.', 'workersBusy'],
  ['workers_size', 'Worker threads the pool is configured to keep.', 'workersSize'],
  [
    'pool_broken',
    '1 once the pool is broken (ERR_TANDEM_POOL_BROKEN): no task can run any more.',
    'broken',
  ],
  ['services_alive', 'Services started with engine.service() and not closed.', 'services'],
  [
    'event_loop_delay_p50_seconds',
    'Median event-loop delay since the previous scrape.',
    'loopDelayP50',
  ],
  [
    'event_loop_delay_p99_seconds',
    '99th percentile of the event-loop delay since the previous scrape.',
    'loopDelayP99',
  ],
  [
    'event_loop_delay_max_seconds',
    'Longest event-loop delay since the previous scrape.',
    'loopDelayMax',
  ],
  [
    'event_loop_utilization',
    'Share of the time since the previous scrape that the event loop was busy, 0..1.',
    'loopUtilization',
  ],
];

/**
 * Registers an engine's metrics in a prom-client registry and keeps them current.
 *
 * Per task (`task` takes the names of the engine's task module only; `outcome` is one of
 * `ok`, `error`, `cancelled`, `timeout`, `crashed`): `tandem_tasks_total{task,outcome}`,
 * `tandem_task_duration_seconds{task}` (run time in a worker, for tasks that reached one),
 * `tandem_task_queue_wait_seconds{task}` (submit to hand-over, or to cancel for a task that
 * never got a worker), `tandem_orphaned_task_seconds_total{task}`. The pool and the event
 * loop, read at scrape time: see docs/metrics.md for the list. Counts start when the
 * collector does.
 *
 * Each settling task costs a map lookup and a few typed-array increments; labels and
 * histogram lines are built at scrape time only.
 *
 * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`) for an engine that is not an
 * Engine, a registry that is not a prom-client Registry, a bad prefix; OutOfRangeError
 * (`ERR_TANDEM_OUT_OF_RANGE`) for bad buckets; DuplicateMetricError
 * (`ERR_TANDEM_DUPLICATE_METRIC`) when the registry already has one of the names (nothing is
 * registered then).
 *
 * @example
 * const registry = new Registry();
 * const metrics = collectEngineMetrics(engine, { registry });
 * const text = await registry.metrics();
 * metrics.close();
 */
export function collectEngineMetrics(
  engine: MeasuredEngine,
  options?: EngineMetricsOptions,
): EngineMetrics {
  checkEngine(engine);
  const { registry, prefix, buckets } = resolveOptions(options);
  const tally = new TaskTally(engine.pool.taskNames ?? [], buckets);
  const name = (suffix: string) => `${prefix}${suffix}`;
  const wanted = [
    'tasks_total',
    'task_duration_seconds',
    'task_queue_wait_seconds',
    'orphaned_task_seconds_total',
    'workers_replaced_total',
    ...GAUGES.map(([suffix]) => suffix),
  ].map(name);
  const taken = wanted.find((metric) => registry.getSingleMetric(metric) !== undefined);
  if (taken !== undefined) throw new DuplicateMetricError(taken);

  const sampler = new ScrapeSampler(engine, engine.stats().engine.loopDelayResolution);
  const metrics: Metric[] = [
    new Counter({
      name: name('tasks_total'),
      help: 'Tasks settled, by task name and outcome (ok, error, cancelled, timeout, crashed).',
      labelNames: ['task', 'outcome'] as const,
      registers: [],
      collect() {
        this.reset();
        tally.tasks.forEach((task, i) => {
          OUTCOMES.forEach((outcome, o) => {
            this.inc({ task, outcome }, tally.outcomes[i * OUTCOMES.length + o] as number);
          });
        });
      },
    }),
    new TallyHistogram(
      name('task_duration_seconds'),
      'Time a task ran in a worker, from its hand-over to its result.',
      tally.tasks,
      buckets,
      tally.run,
    ) as unknown as Metric,
    new TallyHistogram(
      name('task_queue_wait_seconds'),
      'Time a task waited from submit to its hand-over to a worker (to its cancel if it never got one).',
      tally.tasks,
      buckets,
      tally.wait,
    ) as unknown as Metric,
    new Counter({
      name: name('orphaned_task_seconds_total'),
      help:
        'Wall-clock time worker threads kept running tasks after their caller had gone ' +
        '(cancelled or timed out while running), until the task stopped or its worker was ended. ' +
        'Wall time on a worker thread, not CPU time.',
      labelNames: ['task'] as const,
      registers: [],
      collect() {
        this.reset();
        tally.tasks.forEach((task, i) => {
          this.inc({ task }, (tally.orphanMs[i] as number) / 1000);
        });
      },
    }),
    new Counter({
      name: name('workers_replaced_total'),
      help: 'Workers that ended before the pool did (crash, out of memory, or ended after the grace).',
      registers: [],
      collect() {
        this.reset();
        this.inc(sampler.sample().workersReplaced);
      },
    }),
    ...GAUGES.map(
      ([suffix, help, field]) =>
        new Gauge({
          name: name(suffix),
          help,
          registers: [],
          collect() {
            this.set(sampler.sample()[field]);
          },
        }),
    ),
  ];
  // Names as registered: the registry renames counters in OpenMetrics mode (`tandem_tasks`
  // for `tandem_tasks_total`) but keeps them under the name they were registered with.
  const registered: (readonly [string, Metric])[] = [];
  const unregister = () => {
    for (const [key, metric] of registered) {
      if (registry.getSingleMetric(key) === metric) registry.removeSingleMetric(key);
    }
  };
  try {
    metrics.forEach((metric, i) => {
      registry.registerMetric(metric);
      registered.push([wanted[i] as string, metric]);
    });
  } catch (error) {
    // A registry of another kind refused one: leave it as it was.
    unregister();
    sampler.stop();
    throw error;
  }
  const unsubscribe = engine.pool.onSettled(tally.record);

  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    sampler.stop();
    unregister();
  };
  return { names: Object.freeze(wanted), close, [Symbol.dispose]: close };
}
