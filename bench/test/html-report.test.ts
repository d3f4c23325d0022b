import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderChart } from '../src/runner/html-report.ts';
import type { ScenarioResult } from '../src/runner/result.ts';

const result: ScenarioResult = {
  name: 'example',
  title: 'an example',
  metric: { name: 'throughput', unit: 'tasks/s', better: 'higher' },
  rows: [
    { label: 'tandem', value: { median: 100, min: 90, max: 110, count: 5 } },
    { label: 'piscina', value: { median: 50, min: 45, max: 60, count: 5 } },
  ],
  targets: [],
  notes: [],
  elapsedMs: 1,
};

test('a scenario renders to an SVG chart in Node, labelled by its rows', async () => {
  const svg = await renderChart(result);
  assert.match(svg, /^<svg/);
  assert.match(svg, /tandem/);
  assert.match(svg, /piscina/);
});
