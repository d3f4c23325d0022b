/**
 * The HTML report: per scenario, a vega-lite chart rendered to SVG in Node (vega's headless
 * `View.toSVG`, no browser, no canvas), the same table as stdout, and the targets. The file is
 * self-contained: open it anywhere, no scripts, no network.
 *
 * @module
 */
import { writeFile } from 'node:fs/promises';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import { describeEnvironment } from './environment.ts';
import { formatNumber } from './format.ts';
import type { RunRecord } from './json-report.ts';
import { scenarioTable, targetLine } from './markdown-table.ts';
import type { ScenarioResult } from './result.ts';

/**
 * A dot per row at the median with a rule from min to max: it reads on a log axis too, which
 * the transfer sizes (1 MB next to 64 MB) and the rates (inline next to piscina) need.
 */
function chartSpec(result: ScenarioResult): vegaLite.TopLevelSpec {
  const data = result.rows.map((row) => ({
    row: row.group ? `${row.group} · ${row.label}` : row.label,
    group: row.group ?? result.metric.name,
    median: row.value.median,
    text: formatNumber(row.value.median),
    min: row.value.min,
    max: row.value.max,
  }));
  const positive = data.map((d) => d.min).filter((v) => v > 0);
  const spanned = Math.max(...data.map((d) => d.max)) / Math.min(...positive);
  const scale = positive.length === data.length && spanned > 50 ? { type: 'log' as const } : {};
  const title = `${result.metric.name} (${result.metric.unit}) — ${result.metric.better} is better`;
  const x = { field: 'median', type: 'quantitative' as const, title, scale };
  const y = {
    field: 'row',
    type: 'nominal' as const,
    sort: null,
    title: null,
    axis: { labelLimit: 360 },
  };
  // One colour per case (thread count, size); the case is already in every label, so no legend.
  const color = { field: 'group', title: null, legend: null };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 560,
    data: { values: data },
    encoding: { y },
    layer: [
      {
        mark: { type: 'rule', strokeWidth: 2, opacity: 0.6 },
        encoding: {
          x: { ...x, field: 'min' },
          x2: { field: 'max' },
          color: { field: 'group', title: null },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 70 },
        encoding: { x, color },
      },
      {
        mark: { type: 'text', align: 'left', dx: 8, dy: -8, fontSize: 10 },
        encoding: { x, text: { field: 'text' } },
      },
    ],
  };
}

export async function renderChart(result: ScenarioResult): Promise<string> {
  if (result.rows.length === 0) return '<p>No rows to chart.</p>';
  const { spec } = vegaLite.compile(chartSpec(result));
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const escapeHtml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

function inlineMarkdown(text: string): string {
  return escapeHtml(text)
    .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
    .replace(/`(.+?)`/g, '<code>$1</code>');
}

async function scenarioSection(result: ScenarioResult): Promise<string> {
  const { header, cells } = scenarioTable(result);
  const table = [
    `<tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`,
    ...cells.map((row) => `<tr>${row.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`),
  ].join('\n');
  const targets = result.targets
    .map(
      (t) =>
        `<li class="${t.status.replace(' ', '-')}">${inlineMarkdown(targetLine(t).slice(2))}</li>`,
    )
    .join('\n');
  const notes = result.notes.map((n) => `<p class="note">${inlineMarkdown(n)}</p>`).join('\n');
  return `<section id="${result.name}">
<h2>${escapeHtml(result.name)} — ${inlineMarkdown(result.title)}</h2>
<div class="chart">${await renderChart(result)}</div>
<table>${table}</table>
<ul class="targets">${targets}</ul>
${notes}
<p class="note">Took ${(result.elapsedMs / 1_000).toFixed(1)} s.</p>
</section>`;
}

const style = `body{font:14px/1.45 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}.met{color:#106b21}.missed{color:#b00020}.not-run,.not-judged{color:#777}
.note{color:#555;font-size:13px}code{background:#f3f3f3;padding:0 3px}section{margin-top:2.5em}`;

export async function writeHtmlReport(file: URL, record: RunRecord): Promise<void> {
  const sections: string[] = [];
  for (const result of record.scenarios) sections.push(await scenarioSection(result));
  const failures = record.failures.map(
    (f) =>
      `<section><h2>${escapeHtml(f.scenario)} — FAILED</h2><pre>${escapeHtml(f.error)}</pre></section>`,
  );
  const summary = record.scenarios
    .flatMap((s) => s.targets)
    .map(
      (t) =>
        `<li class="${t.status.replace(' ', '-')}">${inlineMarkdown(targetLine(t).slice(2))}</li>`,
    );
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tandem benchmarks ${escapeHtml(record.environment.startedAt)}</title>
<style>${style}</style></head><body>
<h1>Tandem benchmarks</h1>
<p>${escapeHtml(describeEnvironment(record.environment))}</p>
<p class="note">Peers: ${escapeHtml(
    Object.entries(record.environment.peers)
      .map(([n, v]) => `${n} ${v}`)
      .join(', '),
  )}.
Every figure is compared with peers measured in this same run; absolute times from another machine mean little.</p>
<h2>Targets</h2><ul class="targets">${summary.join('\n')}</ul>
${sections.join('\n')}
${failures.join('\n')}
</body></html>
`;
  await writeFile(file, html);
}
