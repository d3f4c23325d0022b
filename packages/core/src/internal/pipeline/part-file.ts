/**
 * An output file written beside its final name, as `<path>.part`, and renamed into place only
 * once the run completes: a reader of `<path>` never sees half of a run. Lines are buffered and
 * written in large writes; `flush(true)` also makes them durable (fdatasync), which the
 * checkpoint journal relies on: it records a length only after the bytes up to it are on disk.
 *
 * @module
 */
import { type FileHandle, open, rename, rm, truncate } from 'node:fs/promises';

/** Buffered bytes past which a sink waits for a write before taking more rows. */
const HIGH_WATER = 1 << 20;
/** Size of the buffers rows are encoded into. */
const CHUNK = 1 << 16;

export class PartFile {
  readonly path: string;
  readonly partPath: string;
  #handle: FileHandle | undefined;
  /**
   * Rows are encoded into UTF-8 as they come, not joined at flush: a serializer's output is
   * often a rope (fast-json-stringify builds it with `+=`), cheapest to flatten while young.
   */
  #chunks: Buffer[] = [];
  #chunk: Buffer = Buffer.allocUnsafe(0);
  #used = 0;
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
    // A UTF-16 code unit takes at most 3 UTF-8 bytes; the newline one more.
    const most = line.length * 3 + 1;
    if (this.#chunk.length - this.#used < most) {
      this.#seal();
      this.#chunk = Buffer.allocUnsafe(Math.max(CHUNK, most));
    }
    const n = this.#chunk.write(line, this.#used);
    this.#chunk[this.#used + n] = 0x0a;
    this.#used += n + 1;
    this.#buffered += n + 1;
  }

  /** Moves the filled part of the current buffer to the list to write. */
  #seal(): void {
    if (this.#used === 0) return;
    this.#chunks.push(this.#chunk.subarray(0, this.#used));
    this.#chunk = this.#chunk.subarray(this.#used);
    this.#used = 0;
  }

  /** Writes what is buffered (after any write under way); `durable` waits for fdatasync. */
  flush(durable: boolean): Promise<void> {
    const handle = this.#handle;
    if (handle === undefined) return Promise.resolve();
    this.#seal();
    const data = this.#chunks;
    this.#chunks = [];
    this.#bytes += this.#buffered;
    this.#buffered = 0;
    const previous = this.#writing;
    this.#writing = (async () => {
      await previous;
      if (data.length > 0) await handle.writev(data);
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
    this.#chunks = [];
    this.#used = 0;
    this.#buffered = 0;
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
