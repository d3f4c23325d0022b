/**
 * The batch downloader (`pnpm start`): starts the fixture server (or reads `--urls`), runs
 * the download pipeline, prints the summary on stdout. Progress and logs go to stderr.
 * Exit codes: 0 every file ok, 1 some failed (or the deadline passed), 2 a usage mistake,
 * 130 interrupted (Ctrl-C; `--resume` finishes the rest), 143 on SIGTERM.
 *
 * @module
 */
import { readFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Engine } from '@tandem/core';
import { type Config, parseCommandLine, UsageError, usage } from './cli-options.ts';
import { type FixtureServer, startFixtureServer } from './fixture-server.ts';
import { outputPaths, runDownloads } from './run-downloads.ts';
import { formatBytes, summary } from './summary.ts';
import { readUrlList, targetsFor } from './targets.ts';
import type tasks from './tasks.ts';

function readConfig(): Config {
  try {
    return parseCommandLine(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\nSee --help for the flags.`);
    process.exit(2);
  }
}

/** Lines in the dead-letter file: failures of this run and of the runs it resumed. */
async function deadLetters(path: string | undefined): Promise<number> {
  if (path === undefined) return 0;
  const text = await readFile(path, 'utf8');
  return text.split('\n').filter((line) => line !== '').length;
}

/** A fresh run: forget what an earlier one in `out` left (only the names this tool writes). */
async function startOver(out: string): Promise<void> {
  const paths = outputPaths(out);
  await Promise.all(
    [
      paths.files,
      paths.journal,
      paths.report,
      `${paths.report}.part`,
      paths.deadLetter,
      `${paths.deadLetter}.part`,
    ].map((path) => rm(path, { recursive: true, force: true })),
  );
}

const config = readConfig();
if (config.help) {
  console.log(usage());
  process.exit(0);
}
const out = resolve(config.out);
// On a terminal the bar owns the last line: a log line first clears it.
const clear = process.stderr.isTTY ? '\r\x1b[K' : '';
const log = (line: string) => process.stderr.write(`${clear}${line}\n`);

if (!config.resume) await startOver(out);
let fixture: FixtureServer | undefined;
let urls: string[];
if (config.urls !== undefined) {
  urls = await readUrlList(config.urls);
} else {
  fixture = await startFixtureServer({
    files: config.files,
    seed: config.seed,
    minSize: config.minSize,
    maxSize: config.maxSize,
    latency: config.latency,
    failures: config.failures,
    hosts: config.hosts,
  });
  urls = fixture.urls();
  log(`fixture: ${config.files} files on ${fixture.origins.join(', ')}`);
}
const targets = targetsFor(urls);

await using engine = await Engine.start<typeof tasks>({
  tasks: new URL('./tasks.ts', import.meta.url),
  threads: config.threads,
  shutdownSignals: ['SIGINT', 'SIGTERM'],
  shutdownGrace: config.grace,
});
let stoppedBy: string | undefined;
let keepAlive: NodeJS.Timeout | undefined;
const stopping = new AbortController();
for (const [signal, name] of [
  ['SIGINT', 'Ctrl-C'],
  ['SIGTERM', 'SIGTERM'],
] as const) {
  process.once(signal, () => {
    stoppedBy ??= name;
    stopping.abort();
    // The downloads parked by `stopping` hold no handle, and the engine's grace timer does
    // not keep the process alive: this one does, until the run ends (cleared below).
    keepAlive ??= setTimeout(() => {}, config.grace + 60_000);
    log(
      `stopping: downloads under way get ${config.grace} ms to finish (${name === 'Ctrl-C' ? 'Ctrl-C' : 'a signal'} again quits at once)`,
    );
  });
}
// The deadline cuts the run at once: finished files are kept and journaled, the rest is left
// for --resume (downloads cut off delete their .part, as with Ctrl-C after the grace).
let deadlinePassed = false;
const deadline = Number.isFinite(config.deadline)
  ? setTimeout(() => {
      deadlinePassed = stoppedBy === undefined;
      stoppedBy ??= `the deadline (${config.deadline} ms)`;
      void engine.close({ timeout: 0 });
    }, config.deadline)
  : undefined;

try {
  const result = await runDownloads(engine, targets, {
    out,
    concurrency: config.concurrency,
    perHost: config.perHost,
    attempts: config.attempts,
    timeouts: config.timeouts,
    progressBar: true,
    stopping: stopping.signal,
    ...(config.verbose
      ? {
          onFinished: (row) =>
            log(
              `ok ${row.name} ${formatBytes(row.bytes)}${row.attempts > 1 ? ` after ${row.attempts} attempts` : ''}${row.resumedFrom > 0 ? `, continued at byte ${row.resumedFrom}` : ''}`,
            ),
          onFailed: (target, error) => log(`failed ${target.name}: ${(error as Error).message}`),
        }
      : {}),
  });
  const origin = fixture
    ? `${config.hosts} fixture host${config.hosts === 1 ? '' : 's'}`
    : (config.urls ?? '');
  const failedInAll = await deadLetters(result.report.deadLetter);
  console.log(summary(result, { origin, total: targets.length, out, stoppedBy, failedInAll }));
  // A signal already set 130 (SIGINT) or 143 (SIGTERM): the engine's shutdownSignals did.
  if (stoppedBy === undefined) {
    if (failedInAll > 0) process.exitCode = 1;
    if (failedInAll > 0 && fixture) {
      log(
        `exit code 1: ${failedInAll} files failed for good (the fixture's --fail-404 files are missing on purpose)`,
      );
    }
  } else if (deadlinePassed) {
    process.exitCode = 1;
  }
} finally {
  clearTimeout(deadline);
  clearTimeout(keepAlive);
  await fixture?.close();
}
