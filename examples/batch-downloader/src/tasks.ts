/**
 * The CPU stage's task module (it runs in the worker threads): per downloaded file, read it
 * and analyse it. The input is the file's path, not its bytes: the file is on disk (in the
 * page cache) once downloaded, so the worker reads it itself and the message stays a few
 * hundred bytes — the loop never holds a file's content, and items batch cheaply.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { defineTasks } from '@tandem/workers';
import { type Analysis, analyse } from './analyse.ts';

/** A downloaded file, as the io stage hands it on. */
export interface FetchedFile {
  readonly name: string;
  readonly url: string;
  readonly path: string;
  /** Body bytes received by the successful attempt (less than the size when it resumed). */
  readonly received: number;
  /** The offset the successful attempt continued a `.part` from (0: fetched whole). */
  readonly resumedFrom: number;
  /** Attempts the download took (1: no retry). */
  readonly attempts: number;
}

/** One line of the report: the file, how it was fetched, and what the analysis found. */
export interface ReportRow extends Analysis {
  readonly name: string;
  readonly url: string;
  readonly received: number;
  readonly resumedFrom: number;
  readonly attempts: number;
}

export default defineTasks({
  analyse(file: FetchedFile, ctx): ReportRow {
    const { name, url, received, resumedFrom, attempts } = file;
    const analysis = analyse(readFileSync(file.path), () => ctx.checkpoint());
    return { name, url, received, resumedFrom, attempts, ...analysis };
  },
});
