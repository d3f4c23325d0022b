/**
 * An output file written beside its final name, as `<path>.part`, and renamed into place only
 * once the run completes: a reader of `<path>` never sees half of a run. Lines are buffered and
 * written in large writes; `flush(true)` also makes them durable (fdatasync), which the
 * checkpoint journal relies on: it records a length only after the bytes up to it are on disk.
 *
 * @module
 */
import { type FileHandle, open, rename, rm, truncate } from 'node:fs/promises';

/** Buffered text past which a sink waits for a write before taking more rows. */
const HIGH_WATER = 1 << 20;

export class PartFile {
  readonly path: string;
  readonly partPath: string;
  #handle: FileHandle | undefined;
  #lines: string[] = [];
  #buffered = 0;
  /** Bytes handed to the file (written or being written). */
  #bytes = 0;
  #writing: Promise<void> = Promise.resolve();

  constructor(path: string) {
    this.path = path;
    this.partPath = `${path}.part`;
  }

  /** Opens the part file: emptied, or cut back to `keep` bytes (a resumed run). */
  async open(keep = 0): Promise<void> {
    if (keep === 0) {
      this.#handle = await open(this.partPath, 'w');
    } else {
      await truncate(this.partPath, keep);
      this.#handle = await open(this.partPath, 'a');
    }
    this.#bytes = keep;
  }

  /** Bytes of complete lines written so far (what a journal may record). */
  get bytes(): number {
    return this.#bytes;
  }

  get full(): boolean {
    return this.#buffered >= HIGH_WATER;
  }

  write(line: string): void {
    this.#lines.push(line);
    this.#buffered += line.length + 1;
  }

  /** Writes what is buffered (after any write under way); `durable` waits for fdatasync. */
  flush(durable: boolean): Promise<void> {
    const handle = this.#handle;
    if (handle === undefined) return Promise.resolve();
    const text = this.#lines.length === 0 ? '' : `${this.#lines.join('\n')}\n`;
    this.#lines = [];
    this.#buffered = 0;
    const data = Buffer.from(text);
    this.#bytes += data.length;
    const previous = this.#writing;
    this.#writing = (async () => {
      await previous;
      if (data.length > 0) await handle.write(data);
      if (durable) await handle.datasync();
    })();
    return this.#writing;
  }

  /** Flushes durably, closes and renames the part file into place. */
  async finish(): Promise<void> {
    await this.flush(true);
    await this.#close();
    await rename(this.partPath, this.path);
  }

  /** Flushes (durably when `durable`) and closes, leaving the part file for a resume. */
  async keep(durable: boolean): Promise<void> {
    await this.flush(durable);
    await this.#close();
  }

  /** Closes and deletes the part file: the run left nothing to keep. */
  async discard(): Promise<void> {
    this.#lines = [];
    await this.#writing.catch(() => {});
    await this.#close();
    await rm(this.partPath, { force: true });
  }

  async #close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
  }
}
