/**
 * The batch downloader (`pnpm start`): starts the fixture server (or reads `--urls`), runs
 * the download pipeline, prints the summary on stdout. Progress and logs go to stderr.
 * Exit codes: 0 every file ok, 1 some failed (or the deadline passed, or the run could not
 * start), 2 a usage mistake, 130 interrupted (Ctrl-C; `--resume` finishes the rest), 143 on
 * SIGTERM.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Engine } from '@tandem/core';
import { type Config, parseCommandLine, UsageError, usage } from './cli-options.ts';
import { type FixtureServer, startFixtureServer } from './fixture-server.ts';
import { outputPaths, runDownloads } from './run-downloads.ts';
import { watchStops } from './stops.ts';
import { formatBytes, summary } from './summary.ts';
import { readUrlList, targetsFor } from './targets.ts';
import type tasks from './tasks.ts';

// On a terminal the bar owns the last line: a log line first clears it.
const clear = process.stderr.isTTY ? '\r\x1b[K' : '';
const log = (line: string) => process.stderr.write(`${clear}${line}\n`);

function readConfig(): Config {
  try {
    return parseCommandLine(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\nSee --help for the flags.`);
    process.exit(2);
  }
}

/** A fresh run: forget what an earlier one in `out` left (only the names this tool writes). */
async function startOver(out: string): Promise<void> {
  const paths = outputPaths(out);
  const names = [paths.files, paths.journal, paths.report, paths.deadLetter];
  const parts = [`${paths.report}.part`, `${paths.deadLetter}.part`];
  await Promise.all([...names, ...parts].map((path) => rm(path, { recursive: true, force: true })));
}

/** Lines in the dead-letter file: failures of this run and of the runs it resumed. */
async function deadLetters(path: string | undefined): Promise<number> {
  if (path === undefined) return 0;
  const text = await readFile(path, 'utf8');
  return text.split('\n').filter((line) => line !== '').length;
}

async function main(config: Config): Promise<void> {
  const out = resolve(config.out);
  const paths = outputPaths(out);
  if (!config.resume) {
    await startOver(out);
  } else if (!existsSync(paths.journal) && existsSync(paths.report)) {
    // A completed run deletes its journal: there is nothing left to resume.
    log(
      `batch-downloader: the run in ${config.out} is complete (${paths.report}); run without --resume to start over`,
    );
    return;
  }
  let fixture: FixtureServer | undefined;
  let urls: string[];
  if (config.urls !== undefined) {
    urls = await readUrlList(config.urls);
  } else {
    const { files, seed, minSize, maxSize, latency, failures, hosts } = config;
    fixture = await startFixtureServer({ files, seed, minSize, maxSize, latency, failures, hosts });
    urls = fixture.urls();
    log(`fixture: ${files} files on ${fixture.origins.join(', ')}`);
  }
  const targets = targetsFor(urls);
  await using engine = await Engine.start<typeof tasks>({
    tasks: new URL('./tasks.ts', import.meta.url),
    threads: config.threads,
    shutdownSignals: ['SIGINT', 'SIGTERM'],
    shutdownGrace: config.grace,
  });
  const stops = watchStops(engine, config, log);
  try {
    const result = await runDownloads(engine, targets, {
      out,
      concurrency: config.concurrency,
      perHost: config.perHost,
      attempts: config.attempts,
      timeouts: config.timeouts,
      progressBar: true,
      stopping: stops.stopping,
      ...(config.verbose
        ? {
            onFinished: (row) => {
              const retried = row.attempts > 1 ? ` after ${row.attempts} attempts` : '';
              const continued = row.resumedFrom > 0 ? `, continued at byte ${row.resumedFrom}` : '';
              log(`ok ${row.name} ${formatBytes(row.bytes)}${retried}${continued}`);
            },
            onFailed: (target, error) => log(`failed ${target.name}: ${(error as Error).message}`),
          }
        : {}),
    });
    const origin = fixture ? `${config.hosts} fixture host(s)` : (config.urls ?? '');
    const failedInAll = await deadLetters(result.report.deadLetter);
    const stoppedBy = stops.reason;
    const context = {
      origin,
      total: targets.length,
      out,
      stoppedBy,
      failedInAll,
      perHost: config.perHost,
    };
    console.log(summary(result, context));
    // A signal already set 130 (SIGINT) or 143 (SIGTERM): the engine's shutdownSignals did.
    if (stoppedBy === undefined && failedInAll > 0) {
      process.exitCode = 1;
      if (fixture)
        log(
          `exit code 1: ${failedInAll} files failed for good (the fixture's --fail-404 files are missing on purpose)`,
        );
    } else if (stops.deadlinePassed) {
      process.exitCode = 1;
    }
  } finally {
    stops.dispose();
    await fixture?.close();
  }
}

// Failures of the run's surroundings (a missing --urls file, an output folder that cannot be
// written, a journal from another run): the message, not a stack trace. Anything else is a bug.
const EXPLAINED = new Set(['ENOENT', 'EACCES', 'EPERM', 'ENOTDIR', 'EISDIR', 'ENOSPC', 'EROFS']);

const config = readConfig();
if (config.help) {
  console.log(usage());
} else {
  try {
    await main(config);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_TANDEM_CHECKPOINT_MISMATCH') {
      log(`batch-downloader: ${(error as Error).message}\nRun without --resume to start over.`);
    } else if (typeof code === 'string' && EXPLAINED.has(code)) {
      log(`batch-downloader: ${(error as Error).message}`);
    } else {
      throw error;
    }
    process.exitCode = 1;
  }
}
