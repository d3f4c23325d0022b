import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '@tandem/core';
import { collectEngineMetrics } from '@tandem/prometheus';
import { Registry } from 'prom-client';
import { checkHistograms, type Family, parseExposition, sampleValue } from './exposition.ts';
import type tasks from './fixtures/tasks.ts';

const fixture = new URL('./fixtures/tasks.ts', import.meta.url);
const TASKS = ['echo', 'say "hi"\\\n', 'fail', 'exit', 'waitForAbort', 'ignoreAbort'];
const OUTCOMES = ['ok', 'error', 'cancelled', 'timeout', 'crashed'];

async function scrape(registry: Registry): Promise<Map<string, Family>> {
  return parseExposition(await registry.metrics());
}

test('tasks of every outcome are counted by task and outcome, timed in histograms, and parse as strict exposition text', async (t) => {
  const engine = await Engine.start<typeof tasks>({ tasks: fixture, threads: 2 });
  t.after(() => engine.close());
  const registry = new Registry();
  const metrics = collectEngineMetrics(engine, { registry });
  t.after(() => metrics.close());

  // ok ×3, error ×2, crashed ×1, timeout ×1, cancelled ×1; a run refused before it is queued
  // (its signal had already aborted) is no task and is not counted.
  for (const n of [1, 2, 3]) assert.equal(await engine.run('echo', n), n);
  // A task name with a quote, a backslash and a newline: escaped in the label, read back whole.
  assert.equal(await engine.run('say "hi"\\\n', 7), 7);
  for (const m of ['a', 'b']) await assert.rejects(engine.run('fail', m), { message: m });
  await assert.rejects(engine.run('exit', 1), { code: 'ERR_TANDEM_WORKER_CRASHED' });
  await assert.rejects(engine.run('waitForAbort', null, { timeout: 5 }), {
    code: 'ERR_TANDEM_TASK_TIMEOUT',
  });
  const aborted = new AbortController();
  aborted.abort(new Error('never started'));
  await assert.rejects(engine.run('echo', 0, { signal: aborted.signal }), {
    message: 'never started',
  });
  // Cancelled while it runs and ignoring its signal: the time from the cancel to its end is
  // time a worker spent on a task whose caller had gone.
  const cells = new Int32Array(new SharedArrayBuffer(4));
  const caller = new AbortController();
  const orphan = engine.run('ignoreAbort', cells, {
    signal: caller.signal,
    onProgress: () => {
      caller.abort(new Error('gone'));
      setImmediate(() => {
        Atomics.store(cells, 0, 1);
        Atomics.notify(cells, 0);
      });
    },
  });
  await assert.rejects(orphan, { message: 'gone' });

  const families = await scrape(registry);
  const count = (task: string, outcome: string) =>
    sampleValue(families, 'tandem_tasks_total', 'tandem_tasks_total', { task, outcome });
  assert.equal(families.get('tandem_tasks_total')?.type, 'counter');
  // Every task × outcome is there (zeros too), and nothing else.
  assert.equal(families.get('tandem_tasks_total')?.samples.length, TASKS.length * OUTCOMES.length);
  const expected: Record<string, Record<string, number>> = {
    echo: { ok: 3 },
    [TASKS[1] as string]: { ok: 1 },
    fail: { error: 2 },
    exit: { crashed: 1 },
    waitForAbort: { timeout: 1 },
    ignoreAbort: { cancelled: 1 },
  };
  for (const task of TASKS) {
    for (const outcome of OUTCOMES) {
      assert.equal(count(task, outcome), expected[task]?.[outcome] ?? 0, `${task} ${outcome}`);
    }
  }

  // Histograms: one per task, well formed; the duration counts tasks that reached a worker,
  // the queue wait every task.
  assert.equal(checkHistograms(families), 2 * TASKS.length);
  const duration = (task: string) =>
    sampleValue(families, 'tandem_task_duration_seconds', 'tandem_task_duration_seconds_count', {
      task,
    });
  const wait = (task: string) =>
    sampleValue(
      families,
      'tandem_task_queue_wait_seconds',
      'tandem_task_queue_wait_seconds_count',
      {
        task,
      },
    );
  assert.deepEqual(TASKS.map(duration), [3, 1, 2, 1, 1, 1]);
  assert.deepEqual(TASKS.map(wait), [3, 1, 2, 1, 1, 1]);
  assert.ok(
    sampleValue(families, 'tandem_task_duration_seconds', 'tandem_task_duration_seconds_sum', {
      task: 'echo',
    }) > 0,
  );
  const buckets = families
    .get('tandem_task_duration_seconds')
    ?.samples.filter((s) => s.labels.task === 'echo' && s.name.endsWith('_bucket'))
    .map((s) => s.labels.le);
  assert.equal(buckets?.[0], '0.0001', 'sub-millisecond buckets, from 100 µs');
  assert.deepEqual(buckets?.slice(-2), ['10', '+Inf']);

  const orphaned = (task: string) =>
    sampleValue(
      families,
      'tandem_orphaned_task_seconds_total',
      'tandem_orphaned_task_seconds_total',
      {
        task,
      },
    );
  assert.ok(orphaned('ignoreAbort') > 0);
  assert.equal(orphaned('echo'), 0);

  // The pool, read at scrape time.
  const gauge = (name: string) => sampleValue(families, `tandem_${name}`, `tandem_${name}`);
  assert.equal(gauge('workers_replaced_total'), 1);
  assert.equal(families.get('tandem_workers_replaced_total')?.type, 'counter');
  assert.equal(gauge('workers_size'), 2);
  assert.equal(gauge('queue_depth'), 0);
  assert.equal(gauge('tasks_in_workers'), 0);
  assert.equal(gauge('pool_broken'), 0);
  assert.equal(gauge('services_alive'), 0);
  assert.ok(gauge('workers_alive') <= 2);
  assert.ok(gauge('workers_busy') <= gauge('workers_alive'));
  for (const name of metrics.names) {
    assert.ok(families.get(name)?.help, `${name} has a HELP line`);
  }
});

test('the gauges follow the pool and services at each scrape; the loop figures cover the time since the last scrape', async (t) => {
  const engine = await Engine.start<typeof tasks>({ tasks: fixture, threads: 1 });
  t.after(() => engine.close());
  const registry = new Registry();
  const metrics = collectEngineMetrics(engine, { registry, prefix: 'app_' });
  t.after(() => metrics.close());
  const gauge = (families: Map<string, Family>, name: string) =>
    sampleValue(families, `app_${name}`, `app_${name}`);

  const service = await engine.service(new URL('./fixtures/service.ts', import.meta.url));
  const controller = new AbortController();
  const held = [1, 2, 3].map(() =>
    engine.run('waitForAbort', null, { signal: controller.signal }).catch(() => {}),
  );
  // A worker holds some of them, the queue the rest (how many each depends on the pool's
  // dispatch depth): together, all three.
  let families = await scrape(registry);
  assert.equal(gauge(families, 'queue_depth') + gauge(families, 'tasks_in_workers'), 3);
  assert.equal(gauge(families, 'workers_busy'), 1);
  assert.equal(gauge(families, 'services_alive'), 1);
  controller.abort();
  await Promise.all(held);
  await service.close();

  // Block the loop for a while: the next scrape sees the delay, the one after does not.
  const until = performance.now() + 60;
  while (performance.now() < until) {}
  await new Promise((resolve) => setTimeout(resolve, 20));
  families = await scrape(registry);
  const p50 = gauge(families, 'event_loop_delay_p50_seconds');
  const p99 = gauge(families, 'event_loop_delay_p99_seconds');
  const max = gauge(families, 'event_loop_delay_max_seconds');
  assert.ok(max > 0 && p50 <= p99 && p99 <= max, `${p50} ${p99} ${max}`);
  const utilization = gauge(families, 'event_loop_utilization');
  assert.ok(utilization > 0 && utilization <= 1, `${utilization}`);
  assert.equal(gauge(families, 'services_alive'), 0);
  assert.equal(gauge(families, 'queue_depth'), 0);
  families = await scrape(registry);
  assert.ok(gauge(families, 'event_loop_delay_max_seconds') < max);
});

test('the collector counts tasks of engine.map batches and of scopes, and counts from its own start', async (t) => {
  const engine = await Engine.start<typeof tasks>({ tasks: fixture, threads: 1 });
  t.after(() => engine.close());
  await engine.run('echo', 'before the collector');
  const registry = new Registry();
  const metrics = collectEngineMetrics(engine, { registry });
  t.after(() => metrics.close());
  await engine.map('echo', [1, 2, 3, 4], { batch: 2 });
  await engine.scope(async (s) => {
    s.spawn(() => engine.run('echo', 5));
  });
  const families = await scrape(registry);
  // Two batches of two and one run; the run before the collector started is not counted.
  assert.equal(
    sampleValue(families, 'tandem_tasks_total', 'tandem_tasks_total', {
      task: 'echo',
      outcome: 'ok',
    }),
    3,
  );
});
