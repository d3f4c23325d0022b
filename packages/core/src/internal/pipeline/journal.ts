/**
 * The checkpoint journal: an append-only NDJSON file. The first line names the output files
 * it describes; each later line is one commit, `{ "o": bytes, "d": bytes, "k": [keys] }`:
 * the output and dead-letter `.part` files were durable up to `o` and `d` bytes, and the
 * items `k` were finished with all their rows inside those bytes.
 *
 * Why the two files cannot disagree after a crash at any instant: rows are written (and
 * fdatasync'd) before the journal line naming their items, and on resume each `.part` file
 * is cut back to the length of the last whole journal line. A crash before the journal line
 * leaves rows past that length (cut away, their items redone); a crash in the middle of the
 * journal line leaves a torn last line (ignored, so again cut away and redone). Nothing
 * finished is lost, nothing appears twice.
 *
 * @module
 */
import { type FileHandle, open, readFile, stat, truncate } from 'node:fs/promises';
import { CheckpointError } from '../../errors.js';

const MAGIC = 'tandem-pipeline-journal';

export interface JournalState {
  /** Keys of items already finished. */
  readonly done: Set<string>;
  /** Lengths of the output and dead-letter part files to keep. */
  readonly outputBytes: number;
  readonly deadLetterBytes: number;
}

interface Header {
  readonly output: string | null;
  readonly deadLetter: string | null;
}

export class Journal {
  readonly path: string;
  readonly #header: Header;
  #handle: FileHandle | undefined;

  constructor(path: string, header: Header) {
    this.path = path;
    this.#header = header;
  }

  /**
   * Reads an existing journal (or starts one): checks it describes the same outputs and that
   * their part files hold at least what it records, then cuts its own torn tail.
   */
  async open(): Promise<JournalState> {
    const text = await readFile(this.path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (text === undefined || text === '') {
      this.#handle = await open(this.path, 'w');
      await this.#handle.write(`${JSON.stringify({ [MAGIC]: 1, ...this.#header })}\n`);
      await this.#handle.datasync();
      return { done: new Set(), outputBytes: 0, deadLetterBytes: 0 };
    }
    const state = this.#parse(text);
    await this.#checkPart(this.#header.output, state.outputBytes);
    await this.#checkPart(this.#header.deadLetter, state.deadLetterBytes);
    await truncate(this.path, state.validBytes);
    this.#handle = await open(this.path, 'a');
    return state;
  }

  #parse(text: string): JournalState & { validBytes: number } {
    const lines = text.split('\n');
    const header = parseLine(lines[0]);
    if (header === undefined || header[MAGIC] !== 1) {
      throw new CheckpointError(this.path, 'the file is not a Tandem pipeline journal');
    }
    if (header.output !== this.#header.output || header.deadLetter !== this.#header.deadLetter) {
      throw new CheckpointError(
        this.path,
        `it was written for output ${String(header.output)} and dead letters ${String(header.deadLetter)}`,
      );
    }
    const done = new Set<string>();
    let outputBytes = 0;
    let deadLetterBytes = 0;
    let validBytes = Buffer.byteLength(lines[0] as string) + 1;
    // The last element is what follows the final newline: '' when the file ends cleanly.
    for (let i = 1; i < lines.length - 1; i++) {
      const line = lines[i] as string;
      const commit = parseLine(line);
      const valid =
        commit !== undefined &&
        typeof commit.o === 'number' &&
        typeof commit.d === 'number' &&
        Array.isArray(commit.k);
      if (!valid) {
        throw new CheckpointError(this.path, `line ${i + 1} is not a journal commit`);
      }
      for (const key of commit.k as unknown[]) done.add(String(key));
      outputBytes = commit.o as number;
      deadLetterBytes = commit.d as number;
      validBytes += Buffer.byteLength(line) + 1;
    }
    return { done, outputBytes, deadLetterBytes, validBytes };
  }

  async #checkPart(path: string | null, bytes: number): Promise<void> {
    if (path === null) return;
    const size = await stat(`${path}.part`).then(
      (s) => s.size,
      () => undefined,
    );
    if (size === undefined && bytes === 0) return;
    if (size === undefined || size < bytes) {
      throw new CheckpointError(
        this.path,
        `${path}.part holds ${size ?? 'no'} bytes but the journal records ${bytes}`,
      );
    }
  }

  /** Appends one commit and waits until it is durable. */
  async commit(
    outputBytes: number,
    deadLetterBytes: number,
    keys: readonly string[],
  ): Promise<void> {
    const handle = this.#handle;
    if (handle === undefined) return;
    await handle.write(`${JSON.stringify({ o: outputBytes, d: deadLetterBytes, k: keys })}\n`);
    await handle.datasync();
  }

  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
  }
}

function parseLine(line: string | undefined): Record<string, unknown> | undefined {
  if (line === undefined || line === '') return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
