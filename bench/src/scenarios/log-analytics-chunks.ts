/**
 * The log-analytics scenario's comparison row, not a mode of the example: the log read as text
 * chunks of whole lines (about 1 MiB each) and each chunk split and parsed in the pool
 * (`workers/log-chunk-tasks.ts`), so the loop never handles a line. Same parser, same
 * aggregate; it shows what the pipeline's per-line items and the loop's splitting cost.
 *
 * @module
 */
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import type { Engine } from '@tandem/core';
import { type Aggregate, createAggregate } from '../../../examples/log-analytics/src/aggregate.ts';
import { mergePartial } from '../../../examples/log-analytics/src/partial.ts';
import type chunkTasks from '../workers/log-chunk-tasks.ts';

export type ChunkEngine = Engine<typeof chunkTasks>;

export const chunkTasksUrl = new URL('../workers/log-chunk-tasks.ts', import.meta.url);

/** The file as text chunks of whole lines, about 1 MiB each: nothing split on the loop. */
async function* textChunks(path: string): AsyncGenerator<string> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(2 ** 20);
    const decoder = new StringDecoder('utf8');
    let rest = '';
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const text = rest + decoder.write(buffer.subarray(0, bytesRead));
      const cut = text.lastIndexOf('\n') + 1;
      rest = text.slice(cut);
      if (cut > 0) yield text.slice(0, cut);
    }
    const last = rest + decoder.end();
    if (last.length > 0) yield last;
  } finally {
    await file.close();
  }
}

/** Text chunks through the pipeline, split and parsed in the pool, partials merged here. */
export async function analyseChunks(engine: ChunkEngine, path: string): Promise<Aggregate> {
  const total = createAggregate();
  await engine
    .pipeline(textChunks(path))
    .cpu('parseText', { batch: 1 })
    .tap((partial) => {
      mergePartial(total, partial);
    })
    .run();
  return total;
}
