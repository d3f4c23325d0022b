/**
 * Reading the log on the event loop: big chunks through a file handle (the read itself runs
 * on libuv's thread pool), decoded as UTF-8 across chunk boundaries and split into lines.
 *
 * @module
 */
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { LogFileNotFoundError } from './errors.ts';

/** 1 MiB: few enough reads that their cost is noise, small enough to keep memory flat. */
const chunkBytes = 2 ** 20;

/**
 * Yields the file's lines a chunk at a time (the lines that chunk completed), without the
 * `\n`. A last line without a final newline is yielded too; an empty file yields nothing.
 *
 * @throws LogFileNotFoundError (`ERR_LOG_ANALYTICS_FILE_NOT_FOUND`) when `path` does not exist
 * or is a directory.
 */
export async function* readLineChunks(path: string): AsyncGenerator<string[], void, undefined> {
  const file = await open(path, 'r').catch((cause: NodeJS.ErrnoException) => {
    throw cause.code === 'ENOENT' ? new LogFileNotFoundError(path, { cause }) : cause;
  });
  try {
    const buffer = Buffer.allocUnsafe(chunkBytes);
    const decoder = new StringDecoder('utf8');
    let rest = '';
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, chunkBytes, null).catch((cause) => {
        throw cause.code === 'EISDIR' ? new LogFileNotFoundError(path, { cause }) : cause;
      });
      if (bytesRead === 0) break;
      const text = rest + decoder.write(buffer.subarray(0, bytesRead));
      const lines: string[] = [];
      let start = 0;
      for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
        lines.push(text.slice(start, end));
        start = end + 1;
      }
      rest = text.slice(start);
      if (lines.length > 0) yield lines;
    }
    const last = rest + decoder.end();
    if (last.length > 0) yield [last];
  } finally {
    await file.close();
  }
}

/** The file's lines one by one: the source a line-by-line pipeline reads. */
export async function* readLines(path: string): AsyncGenerator<string, void, undefined> {
  for await (const lines of readLineChunks(path)) yield* lines;
}
