/**
 * The files of one run: the output and dead-letter `.part` files and the checkpoint journal,
 * and the order in which they are committed, published or discarded. See `journal.ts` for
 * why the output and the journal cannot disagree after a crash.
 *
 * @module
 */
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InvalidArgumentError } from '@tandem/workers';
import type { PipelineAttempt } from '../../errors.js';
import { describeError } from './describe-error.js';
import { Journal } from './journal.js';
import { PartFile } from './part-file.js';

/** Which of the run's files ended up in place. */
export interface Written {
  readonly output?: string | undefined;
  readonly deadLetter?: string | undefined;
}

export class RunFiles {
  readonly #output: PartFile | undefined;
  readonly #deadLetter: PartFile | undefined;
  #journal: Journal | undefined;
  /** Keys finished since the last commit. */
  #keys: string[] = [];
  #committing: Promise<void> = Promise.resolve();

  /** @throws InvalidArgumentError when two of the files (or their `.part` files) share a path. */
  constructor(
    output: PartFile | undefined,
    deadLetter: string | undefined,
    journal: string | undefined,
  ) {
    this.#output = output;
    this.#deadLetter = deadLetter === undefined ? undefined : new PartFile(deadLetter);
    checkDistinct([
      output,
      this.#deadLetter,
      journal === undefined ? undefined : { path: journal },
    ]);
    // Resolved, so that `out/x` and `./out/x` name the same output.
    this.#journal =
      journal === undefined
        ? undefined
        : new Journal(journal, {
            output: output === undefined ? null : resolve(output.path),
            deadLetter: this.#deadLetter === undefined ? null : resolve(this.#deadLetter.path),
          });
  }

  /** Whether finished keys are journaled (a checkpoint). */
  get journaled(): boolean {
    return this.#journal !== undefined;
  }

  /** Keys waiting for the next commit. */
  get waiting(): number {
    return this.#keys.length;
  }

  /** Opens the files (a resumed run cuts them back); resolves with the keys already finished. */
  async open(): Promise<Set<string>> {
    const state = await this.#journal?.open();
    await this.#output?.open(state?.outputBytes ?? 0);
    await this.#deadLetter?.open(state?.deadLetterBytes ?? 0);
    return state?.done ?? new Set();
  }

  /** A finished item's key, journaled with the next commit. */
  finished(key: string): void {
    this.#keys.push(key);
  }

  deadLetter(
    item: unknown,
    stage: string,
    attempts: readonly PipelineAttempt[],
    error: unknown,
  ): void {
    this.#deadLetter?.write(deadLetterLine(item, stage, attempts, error));
  }

  /** Writes what is buffered, then (with a checkpoint) journals the keys finished with it. */
  commit(): Promise<void> {
    const durable = this.#journal !== undefined;
    this.#committing = this.#committing.then(async () => {
      // Keys, rows and lengths are taken in one synchronous step: a flush that the sink
      // starts while this one is awaited must not add rows whose keys are not in `keys`.
      const keys = this.#keys;
      this.#keys = [];
      const output = this.#output;
      const flushed = Promise.all([output?.flush(durable), this.#deadLetter?.flush(durable)]);
      const outputBytes = output?.bytes ?? 0;
      const deadLetterBytes = this.#deadLetter?.bytes ?? 0;
      await flushed;
      if (keys.length > 0) await this.#journal?.commit(outputBytes, deadLetterBytes, keys);
    });
    return this.#committing;
  }

  /** The run completed: everything goes into place, the journal away. */
  async complete(): Promise<Written> {
    await this.commit();
    // The journal goes first: a crash between the renames then starts over cleanly, never
    // finds a journal whose .part files were already renamed away.
    const journal = this.#journal;
    await journal?.close();
    if (journal !== undefined) await rm(journal.path, { force: true });
    // Without its journal a .part file is no resume's: if a rename fails, it goes.
    this.#journal = undefined;
    await this.#deadLetter?.finish();
    await this.#output?.finish();
    return { output: this.#output?.path, deadLetter: this.#deadLetter?.path };
  }

  /**
   * The run did not complete. With a checkpoint, what finished is committed and the files
   * kept for the resumed run; without, the output goes and the dead letters (the record of
   * what failed) go into place if there are any.
   */
  async incomplete(): Promise<Written> {
    if (this.#journal !== undefined) {
      await this.commit();
      await this.#journal.close();
      await this.#output?.keep(true);
      await this.#deadLetter?.keep(true);
      return {};
    }
    await this.#output?.discard();
    if ((this.#deadLetter?.bytes ?? 0) > 0) {
      await this.#deadLetter?.finish();
      return { deadLetter: this.#deadLetter?.path };
    }
    await this.#deadLetter?.discard();
    return {};
  }

  /** Something failed on the way (opening, renaming): close, and delete what no resume can use. */
  async abandon(): Promise<void> {
    await this.#journal?.close().catch(() => {});
    if (this.#journal === undefined) {
      await this.#output?.discard().catch(() => {});
      await this.#deadLetter?.discard().catch(() => {});
    }
  }
}

function deadLetterLine(
  item: unknown,
  stage: string,
  attempts: readonly PipelineAttempt[],
  error: unknown,
): string {
  const record = {
    stage,
    attempts: attempts.map((a) => ({
      attempt: a.attempt,
      ms: a.ms,
      error: describeError(a.error),
    })),
    error: describeError(error),
  };
  try {
    return JSON.stringify({ item, ...record }) ?? JSON.stringify({ item: null, ...record });
  } catch (cause) {
    // An item JSON cannot hold (a BigInt, a cycle): keep its description instead of losing the line.
    return JSON.stringify({ item: { unserializable: describeError(cause).message }, ...record });
  }
}

/** The run's files (and their `.part` files) on one path would overwrite each other. */
function checkDistinct(files: readonly ({ path: string; partPath?: string } | undefined)[]): void {
  const seen = new Set<string>();
  for (const path of files.flatMap((f) => (f === undefined ? [] : [f.path, f.partPath]))) {
    if (path === undefined) continue;
    if (seen.has(resolve(path))) {
      throw new InvalidArgumentError(
        `The pipeline's output, dead-letter and checkpoint files (and their .part files) must be distinct; ${path} is used twice`,
      );
    }
    seen.add(resolve(path));
  }
}
