/**
 * The run itself: one Tandem pipeline. Downloads on the event loop (global concurrency, a
 * per-host limit, retries with backoff and jitter on transient errors, `Retry-After`
 * honoured), then SHA-256 and the content analysis in the pool, into an NDJSON report;
 * permanent failures go to a dead-letter file, and a checkpoint journal lets the same call
 * resume after Ctrl-C or `kill -9` without redoing a finished file.
 *
 * @module
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Engine, limiter, type PipelineReport } from '@tandem/core';
import { createAgent, download, type Timeouts } from './download.ts';
import { DownloadError } from './download-errors.ts';
import { reportSchema } from './report-schema.ts';
import { hostOf, type Target } from './targets.ts';
import type tasks from './tasks.ts';
import type { FetchedFile, ReportRow } from './tasks.ts';

/** Deletes the `.part` and `.part.json` files left in `dir`. */
async function removeParts(dir: string): Promise<void> {
  const names = await readdir(dir);
  await Promise.all(
    names
      .filter((name) => name.endsWith('.part') || name.endsWith('.part.json'))
      .map((name) => rm(join(dir, name), { force: true })),
  );
}

/** Rejects with the signal's reason once it aborts. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    signal.throwIfAborted();
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** Where a run keeps what it writes, inside its output folder. */
export function outputPaths(out: string) {
  return {
    /** The downloaded files (and, while one is under way, its `.part` and `.part.json`). */
    files: join(out, 'files'),
    report: join(out, 'report.ndjson'),
    deadLetter: join(out, 'failed.ndjson'),
    journal: join(out, '.journal'),
  };
}

export interface DownloadRunOptions {
  /** The output folder (an absolute path: the journal records the paths it describes). */
  readonly out: string;
  readonly concurrency: number;
  readonly perHost: number;
  readonly attempts: number;
  readonly timeouts: Timeouts;
  readonly progressBar: boolean;
  /**
   * Aborted on Ctrl-C: from then on no download starts (those under way finish within the
   * engine's grace). Without it, the pipeline's drain would also start the items already
   * read into its buffers.
   */
  readonly stopping?: AbortSignal | undefined;
  /** Called for each file once analysed (before it is written to the report). */
  readonly onFinished?: ((row: ReportRow) => void) | undefined;
  /** Called for each file that failed for good (it goes to the dead-letter file). */
  readonly onFailed?: ((target: Target, error: unknown) => void) | undefined;
}

export interface DownloadRunResult {
  readonly report: PipelineReport;
  /** Body bytes received over the network, failed attempts included. */
  readonly received: number;
  /** Bytes of the files finished in this run. */
  readonly bytes: number;
  /** Files whose successful attempt continued a `.part` (Range), and the bytes it spared. */
  readonly continued: { readonly files: number; readonly bytes: number };
  /** Each host's adaptive concurrency limit: the lowest it went to, and where it ended. */
  readonly hosts: readonly {
    readonly host: string;
    readonly lowest: number;
    readonly now: number;
  }[];
}

/** Runs the pipeline over `targets`; resolves with its report (also when interrupted). */
export async function runDownloads(
  engine: Engine<typeof tasks>,
  targets: readonly Target[],
  options: DownloadRunOptions,
): Promise<DownloadRunResult> {
  const paths = outputPaths(options.out);
  await mkdir(paths.files, { recursive: true });
  const dispatcher = createAgent(options.timeouts, options.perHost);
  // Per host: at most `perHost` at once, halved when the host says it is overloaded (429,
  // 503, timeouts) and grown back on success; its Retry-After pauses that host only.
  const perHost = limiter({ concurrency: options.perHost, adaptive: true });
  const hosts = new Map<string, { lowest: number }>();
  const watchHost = (url: string) => {
    const host = hostOf(url);
    const { limit } = perHost.keyStats(host);
    const seen = hosts.get(host);
    if (seen === undefined) hosts.set(host, { lowest: limit });
    else seen.lowest = Math.min(seen.lowest, limit);
  };
  let received = 0;
  let bytes = 0;
  const continued = { files: 0, bytes: 0 };
  try {
    const report = await engine
      .pipeline(targets, {
        name: 'batch-downloader',
        total: targets.length,
        progressBar: options.progressBar,
        checkpoint: { path: paths.journal, key: (target) => target.name },
        onError: {
          deadLetter: paths.deadLetter,
          // A download that failed for good is the file's problem: dead-letter it and go on.
          // Anything else (a full disk, a bug in the analysis) stops the run.
          decide: (error, item) => {
            watchHost((item as Target).url);
            if (!(error instanceof DownloadError)) return 'fail';
            options.onFailed?.(item as Target, error);
            return 'deadLetter';
          },
        },
      })
      .io(
        async (target, { signal, attempt }): Promise<FetchedFile> => {
          // Not started before Ctrl-C: wait for the grace to end; the item is then abandoned,
          // not journaled, and --resume downloads it.
          // (Before taking a host's permit: a parked item must not keep a retry of another
          // file of that host waiting. That is why the limiter is called here rather than
          // given to .io() as its `limiter` option, which would take the permit first.)
          if (attempt === 1 && options.stopping?.aborted) await aborted(signal);
          // A retry starts after its failure was reported to the limiter: see what it did.
          if (attempt > 1) watchHost(target.url);
          const path = join(paths.files, target.name);
          const done = await perHost.run(
            (joined) =>
              download(target.url, path, {
                dispatcher,
                signal: joined ?? signal,
                onBytes: (n) => {
                  received += n;
                },
              }),
            { key: hostOf(target.url), signal },
          );
          const { name, url } = target;
          return {
            name,
            url,
            path,
            received: done.received,
            resumedFrom: done.resumedFrom,
            attempts: attempt,
          };
        },
        {
          name: 'download',
          concurrency: options.concurrency,
          retry: {
            attempts: options.attempts,
            backoff: { initial: 200, factor: 2, max: 5_000 },
            jitter: 'full',
            // Only what another attempt may fix; a 404 is final. Retry-After (error.retryAfter)
            // replaces the backoff when the server sends one.
            retryIf: (error) => error instanceof DownloadError && error.transient,
          },
        },
      )
      .cpu('analyse', { name: 'analyse' })
      .tap(
        (row) => {
          watchHost(row.url);
          bytes += row.bytes;
          if (row.resumedFrom > 0) {
            continued.files += 1;
            continued.bytes += row.resumedFrom;
          }
          options.onFinished?.(row);
        },
        { name: 'count' },
      )
      .toFile(paths.report, { schema: reportSchema });
    // Downloads cut off while waiting for a retry (not inside download(), which cleans up
    // after itself) leave their .part: an interrupted run leaves none (--resume restarts them).
    if (report.interrupted) await removeParts(paths.files);
    const limits = [...hosts].map(([host, { lowest }]) => ({
      host,
      lowest,
      now: perHost.keyStats(host).limit,
    }));
    return { report, received, bytes, continued, hosts: limits };
  } finally {
    await dispatcher.close();
  }
}
