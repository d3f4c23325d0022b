/**
 * A scenario as markdown: one table of rows, then every target with its status and ratio.
 * This is what stdout shows and what can be pasted into an issue.
 *
 * @module
 */
import { formatNumber, formatRatio } from './format.ts';
import type { ScenarioResult, TargetResult } from './result.ts';

/** The table as header and rows of display strings, shared by stdout and the HTML report. */
export function scenarioTable(result: ScenarioResult): { header: string[]; cells: string[][] } {
  const { metric, rows } = result;
  const extraColumns = [...new Set(rows.flatMap((row) => Object.keys(row.extra ?? {})))];
  const hasGroups = rows.some((row) => row.group !== undefined);
  const header = [
    ...(hasGroups ? ['case'] : []),
    'peer',
    `${metric.name} (${metric.unit}, median)`,
    'min–max',
    'n',
    ...extraColumns,
  ];
  const cells = rows.map((row) => [
    ...(hasGroups ? [row.group ?? ''] : []),
    row.label,
    formatNumber(row.value.median),
    `${formatNumber(row.value.min)}–${formatNumber(row.value.max)}`,
    row.value.count.toLocaleString('en-US'),
    ...extraColumns.map((column) => formatNumber(row.extra?.[column] ?? '')),
  ]);
  return { header, cells };
}

export function scenarioMarkdown(result: ScenarioResult): string {
  const { header, cells } = scenarioTable(result);
  const textColumns = header[0] === 'case' ? 2 : 1;
  const lines = [
    `### ${result.name} — ${result.title}`,
    '',
    `${result.metric.better === 'lower' ? 'Lower' : 'Higher'} is better.`,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i < textColumns ? '---' : '---:')).join(' | ')} |`,
    ...cells.map((row) => `| ${row.join(' | ')} |`),
  ];
  if (result.targets.length > 0) lines.push('', ...result.targets.map(targetLine));
  if (result.notes.length > 0) lines.push('', ...result.notes.map((note) => `> ${note}`));
  lines.push('', `_${result.name} took ${(result.elapsedMs / 1_000).toFixed(1)} s._`, '');
  return lines.join('\n');
}

export function targetLine(target: TargetResult): string {
  const status =
    target.status === 'not judged' ? 'NOT JUDGED (quick sizes)' : target.status.toUpperCase();
  const ratio =
    target.status === 'not run'
      ? ''
      : target.unit
        ? ` — ${formatNumber(target.ratio ?? Number.NaN)} ${target.unit} (target ${target.comparison} ${target.limit} ${target.unit})`
        : ` — ratio ${formatRatio(target.ratio)} (target ${target.comparison} ${target.limit})`;
  return `- **${status}** ${target.statement}${ratio}. ${target.detail}`;
}
