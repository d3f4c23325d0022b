import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Engine } from '@tandem/core';
import { collectEngineMetrics, MAX_BUCKETS } from '@tandem/prometheus';
import { Counter, type OpenMetricsContentType, Registry } from 'prom-client';
import { parseExposition, sampleValue } from './exposition.ts';
import type tasks from './fixtures/tasks.ts';

const fixture = new URL('./fixtures/tasks.ts', import.meta.url);

async function start(t: { after: (fn: () => unknown) => void }) {
  const engine = await Engine.start<typeof tasks>({ tasks: fixture, threads: 1 });
  t.after(() => engine.close());
  return engine;
}

test('an engine, registry, prefix or buckets of the wrong kind is refused with a code, and nothing is registered', async (t) => {
  const engine = await start(t);
  const registry = new Registry();
  const hostileGetter = Object.defineProperty({}, 'constructor', {
    get() {
      throw new Error('boo');
    },
  });
  for (const bad of [
    undefined,
    null,
    1,
    'engine',
    {},
    { stats() {} },
    engine.pool,
    hostileGetter,
    // A backend that cannot name its tasks yet (a bullmq producer before any worker registered).
    { stats: () => engine.stats(), pool: { onSettled: () => () => {}, taskNames: undefined } },
  ]) {
    assert.throws(() => collectEngineMetrics(bad as never, { registry }), {
      code: 'ERR_TANDEM_INVALID_ARGUMENT',
    });
  }
  const invalid: unknown[] = [
    null,
    'tandem_',
    { registry: null },
    { registry: {} },
    { registry: new Map() },
    { prefix: 1 },
    { prefix: '9starts_with_a_digit' },
    { prefix: 'has space' },
    { prefix: 'dash-' },
    { buckets: 'fast' },
    { buckets: [0.1, '1'] },
  ];
  for (const options of invalid) {
    assert.throws(() => collectEngineMetrics(engine, options as never), {
      code: 'ERR_TANDEM_INVALID_ARGUMENT',
    });
  }
  const outOfRange = [
    [],
    [0],
    [-1, 1],
    [0.1, 0.1],
    [1, 0.5],
    [0.1, Number.NaN],
    [0.1, Number.POSITIVE_INFINITY],
    Array.from({ length: MAX_BUCKETS + 1 }, (_, i) => i + 1),
  ];
  for (const buckets of outOfRange) {
    assert.throws(() => collectEngineMetrics(engine, { registry, buckets }), {
      code: 'ERR_TANDEM_OUT_OF_RANGE',
    });
  }
  assert.deepEqual(await registry.getMetricsAsJSON(), []);
  // The buckets are copied: changing the caller's array later changes nothing.
  const buckets = [0.001, 1];
  const metrics = collectEngineMetrics(engine, { registry, buckets, prefix: '' });
  t.after(() => metrics.close());
  buckets.push(0.5);
  const families = parseExposition(await registry.metrics());
  const les = families
    .get('task_duration_seconds')
    ?.samples.filter((s) => s.labels.task === 'echo' && s.labels.le !== undefined)
    .map((s) => s.labels.le);
  assert.deepEqual(les, ['0.001', '1', '+Inf']);
});

test('a second collector on one registry fails with ERR_TANDEM_DUPLICATE_METRIC and leaves the first intact; another prefix or registry works', async (t) => {
  const engine = await start(t);
  const other = await start(t);
  const registry = new Registry();
  const first = collectEngineMetrics(engine, { registry });
  t.after(() => first.close());
  const before = await registry.metrics();
  assert.throws(() => collectEngineMetrics(other, { registry }), {
    code: 'ERR_TANDEM_DUPLICATE_METRIC',
    name: 'DuplicateMetricError',
    metric: 'tandem_tasks_total',
  });
  assert.equal(await registry.metrics(), before);
  const second = collectEngineMetrics(other, { registry, prefix: 'other_' });
  t.after(() => second.close());
  const third = collectEngineMetrics(other, { registry: new Registry() });
  t.after(() => third.close());
  await engine.run('echo', 1);
  const families = parseExposition(await registry.metrics());
  const ok = (prefix: string) =>
    sampleValue(families, `${prefix}tasks_total`, `${prefix}tasks_total`, {
      task: 'echo',
      outcome: 'ok',
    });
  assert.equal(ok('tandem_'), 1);
  assert.equal(ok('other_'), 0);
});

test('a metric of your own with one of the names is a clash too, caught before anything is registered', async (t) => {
  const engine = await start(t);
  const registry = new Registry();
  new Counter({ name: 'tandem_workers_busy', help: 'mine', registers: [registry] });
  assert.throws(() => collectEngineMetrics(engine, { registry }), {
    code: 'ERR_TANDEM_DUPLICATE_METRIC',
    metric: 'tandem_workers_busy',
  });
  assert.deepEqual(
    (await registry.getMetricsAsJSON()).map((m) => m.name),
    ['tandem_workers_busy'],
  );
});

test('close() unregisters, stops counting and is idempotent; a new collector can take the names again', async (t) => {
  const engine = await start(t);
  const registry = new Registry();
  const metrics = collectEngineMetrics(engine, { registry });
  await engine.run('echo', 1);
  metrics.close();
  metrics.close();
  metrics[Symbol.dispose]();
  assert.deepEqual(await registry.getMetricsAsJSON(), []);
  await engine.run('echo', 2);
  {
    using again = collectEngineMetrics(engine, { registry });
    const families = parseExposition(await registry.metrics());
    // The new collector counts from its own start.
    assert.equal(
      sampleValue(families, 'tandem_tasks_total', 'tandem_tasks_total', {
        task: 'echo',
        outcome: 'ok',
      }),
      0,
    );
    assert.equal(again.names.length, 16);
  }
  assert.deepEqual(await registry.getMetricsAsJSON(), []);
});

test('close() leaves alone a metric that replaced one of its own in the registry', async (t) => {
  const engine = await start(t);
  const registry = new Registry();
  const metrics = collectEngineMetrics(engine, { registry });
  registry.removeSingleMetric('tandem_queue_depth');
  new Counter({ name: 'tandem_queue_depth', help: 'mine now', registers: [registry] });
  metrics.close();
  assert.deepEqual(
    (await registry.getMetricsAsJSON()).map((m) => m.help),
    ['mine now'],
  );
});

test('scrapes after engine.close() still answer, with the final counts and no workers', async (t) => {
  const engine = await start(t);
  const registry = new Registry();
  const metrics = collectEngineMetrics(engine, { registry });
  t.after(() => metrics.close());
  await engine.run('echo', 1);
  await engine.close();
  const families = parseExposition(await registry.metrics());
  assert.equal(
    sampleValue(families, 'tandem_tasks_total', 'tandem_tasks_total', {
      task: 'echo',
      outcome: 'ok',
    }),
    1,
  );
  assert.equal(sampleValue(families, 'tandem_workers_alive', 'tandem_workers_alive'), 0);
});

test('an engine whose pool broke is scraped: pool_broken 1, the failures counted', async (t) => {
  const engine = await start(t);
  t.after(() => {
    delete process.env.TANDEM_TEST_EXIT_AT_LOAD;
  });
  const registry = new Registry();
  const metrics = collectEngineMetrics(engine, { registry });
  t.after(() => metrics.close());
  assert.equal(await engine.run('echo', 'alive'), 'alive');
  process.env.TANDEM_TEST_EXIT_AT_LOAD = '1';
  const crash = engine.run('exit', 1);
  const queued = engine.run('echo', 'queued');
  await assert.rejects(crash, { code: 'ERR_TANDEM_WORKER_CRASHED' });
  await assert.rejects(queued, { code: 'ERR_TANDEM_POOL_BROKEN' });
  await assert.rejects(engine.run('echo', 'later'), { code: 'ERR_TANDEM_POOL_BROKEN' });
  const families = parseExposition(await registry.metrics());
  const count = (task: string, outcome: string) =>
    sampleValue(families, 'tandem_tasks_total', 'tandem_tasks_total', { task, outcome });
  assert.equal(sampleValue(families, 'tandem_pool_broken', 'tandem_pool_broken'), 1);
  assert.equal(sampleValue(families, 'tandem_workers_alive', 'tandem_workers_alive'), 0);
  assert.equal(count('exit', 'crashed'), 1);
  // The queued task failed with the pool; the later run was refused before it was queued.
  assert.equal(count('echo', 'error'), 1);
  assert.equal(count('echo', 'ok'), 1);
});

test('an OpenMetrics registry works too, and close() still removes every metric', async (t) => {
  const engine = await start(t);
  // (prom-client's types have no constructor argument: set the content type after.)
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const metrics = collectEngineMetrics(engine, { registry });
  await engine.run('echo', 1);
  const text = await registry.metrics();
  assert.match(text, /^tandem_tasks_total\{task="echo",outcome="ok"\} 1$/m);
  assert.match(text, /^tandem_task_duration_seconds_count\{task="echo"\} 1$/m);
  assert.ok(text.endsWith('# EOF\n'));
  metrics.close();
  assert.deepEqual(await registry.getMetricsAsJSON(), []);
});

test('a collector left open keeps no process alive, and its metrics read as JSON too', () => {
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', new URL('./fixtures/left-open-child.ts', import.meta.url).pathname],
    { encoding: 'utf8', timeout: 20_000 },
  );
  assert.equal(child.signal, null, `the child hung:\n${child.stderr}`);
  assert.equal(child.status, 0, child.stderr);
  // 6 tasks × (16 buckets + +Inf + _sum + _count).
  assert.equal(child.stdout.trim(), String(6 * 19));
});

test('every ERR_TANDEM_ code of the package is documented in docs/errors.md', () => {
  const root = new URL('../../../', import.meta.url);
  const documented = readFileSync(new URL('docs/errors.md', root), 'utf8');
  const source = readFileSync(new URL('packages/prometheus/src/errors.ts', root), 'utf8');
  const codes = [...source.matchAll(/ERR_TANDEM_[A-Z_]+[A-Z]/g)].map(([code]) => code);
  assert.ok(codes.length >= 1);
  for (const code of codes) assert.ok(documented.includes(`\`${code}\``), code);
});
