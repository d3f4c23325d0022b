/**
 * The final summary on stdout: what finished, what failed and where to look, how fast, and
 * how the event loop fared meanwhile.
 *
 * @module
 */
import { relative } from 'node:path';
import type { DownloadRunResult } from './run-downloads.ts';

export interface SummaryContext {
  /** Where the files came from, e.g. `3 fixture hosts` or `urls.txt`. */
  readonly origin: string;
  readonly total: number;
  readonly out: string;
  /** Why the run stopped early, if it did: `Ctrl-C`, `the deadline (30 s)`. */
  readonly stoppedBy: string | undefined;
  /** The per-host limit the run was given (`--per-host`). */
  readonly perHost: number;
  /** Lines of the dead-letter file once the run completed: this run's and earlier runs' failures. */
  readonly failedInAll: number;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

function failures(deadLetter: string | undefined, earlier: number, now: number): string {
  if (deadLetter === undefined) return now > 0 ? 'dead letters kept for --resume' : '';
  if (earlier + now === 0) return '';
  const more = earlier > 0 ? ` (with ${earlier} from earlier runs)` : '';
  return `dead letters in ${where(deadLetter)}${more}`;
}

function where(path: string): string {
  const near = relative(process.cwd(), path);
  return near === '' || near.startsWith('..') ? path : near;
}

export function summary(result: DownloadRunResult, context: SummaryContext): string {
  const { report } = result;
  const seconds = report.elapsed / 1000;
  const speed = seconds > 0 ? result.received / 1024 ** 2 / seconds : 0;
  const left = context.total - report.resumed - report.done - report.failed;
  const lines = [
    `batch-downloader: ${context.total} files from ${context.origin} into ${where(context.out)}`,
    `  ok        ${String(report.done).padStart(6)}   ${formatBytes(result.bytes)} of files; ${formatBytes(result.received)} received in ${seconds.toFixed(1)} s (${speed.toFixed(1)} MB/s)`,
    `  failed    ${String(report.failed).padStart(6)}   ${failures(report.deadLetter, context.failedInAll - report.failed, report.failed)}`.trimEnd(),
    `  retried   ${String(report.retried).padStart(6)}   attempts beyond the first`,
    `  continued ${String(result.continued.files).padStart(6)}   downloads continued a .part with Range (${formatBytes(result.continued.bytes)} not fetched again)`,
  ];
  const shrunk = result.hosts.filter((h) => h.lowest < context.perHost);
  lines.push(
    `  per host  ${String(result.hosts.length).padStart(6)}   hosts; ${
      shrunk.length === 0
        ? `none had to go below ${context.perHost} at once`
        : `limit lowered on overload: ${shrunk
            .slice(0, 4)
            .map((h) => `${h.host} to ${h.lowest} (now ${h.now})`)
            .join(', ')}${shrunk.length > 4 ? ', …' : ''}`
    }`,
  );
  if (report.resumed > 0) {
    lines.push(
      `  resumed   ${String(report.resumed).padStart(6)}   finished by an earlier run, not redone`,
    );
  }
  lines.push(
    `  loop delay p99 ${report.loop.p99.toFixed(1)} ms (p50 ${report.loop.p50.toFixed(1)}, max ${report.loop.max.toFixed(1)}) while downloading and analysing`,
  );
  if (report.output) lines.push(`  report: ${where(report.output)}`);
  if (report.interrupted) {
    lines.push(
      `stopped by ${context.stoppedBy ?? 'an interruption'}: ${left} files left; run again with --resume to finish them`,
    );
  }
  return lines.join('\n');
}
