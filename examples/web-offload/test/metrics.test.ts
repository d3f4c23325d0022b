import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileGate } from './support/gate.ts';
import { hungUpOn, send, serve, start } from './support/http.ts';

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Parses the text exposition format strictly: every line a comment, a blank or a sample. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type =
      /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type !== null) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* /.test(line)) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(sample !== null, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (sample[2] ?? '').matchAll(
      /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g,
    )) {
      labels[key!] = value!;
    }
    const value = sample[3] === '+Inf' ? Number.POSITIVE_INFINITY : Number(sample[3]);
    assert.ok(!Number.isNaN(value), line);
    samples.push({ name: sample[1]!, labels, value });
  }
  return { samples, types };
}

test('GET /metrics: tasks by name and outcome, latency histograms, pool gauges, process metrics', async (t) => {
  const service = await serve(t);
  const gate = await fileGate(t);
  assert.equal((await send(`${service.url}/render`, { body: { markdown: '# one' } })).status, 200);
  const held = start(`${service.url}/render`, { body: { markdown: gate.hold } });
  const hungUp = hungUpOn(held.answer);
  await gate.started(1);
  const cancelled = service.nextSettled();
  held.req.destroy();
  await hungUp;
  await cancelled;

  const scrape = await send(`${service.url}/metrics`);
  assert.equal(scrape.status, 200);
  assert.match(String(scrape.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  const { samples, types } = parseExposition(scrape.text);
  const value = (name: string, labels: Record<string, string> = {}) =>
    samples.find(
      (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    )?.value;

  assert.equal(types.get('tandem_tasks_total'), 'counter');
  assert.equal(value('tandem_tasks_total', { task: 'render', outcome: 'ok' }), 1);
  assert.equal(value('tandem_tasks_total', { task: 'render', outcome: 'cancelled' }), 1);
  assert.equal(types.get('tandem_task_duration_seconds'), 'histogram');
  assert.equal(value('tandem_task_duration_seconds_count', { task: 'render' }), 2);
  assert.equal(value('tandem_task_duration_seconds_bucket', { task: 'render', le: '+Inf' }), 2);
  assert.equal(types.get('tandem_task_queue_wait_seconds'), 'histogram');
  assert.ok((value('tandem_orphaned_task_seconds_total', { task: 'render' }) ?? -1) >= 0);
  assert.equal(value('tandem_queue_depth'), 0);
  assert.equal(value('tandem_workers_alive'), 1);
  assert.equal(types.get('process_cpu_seconds_total'), 'counter');
  assert.ok((value('process_resident_memory_bytes') ?? 0) > 0);
});
