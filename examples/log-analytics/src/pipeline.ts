/**
 * The batched pipeline: the file is read in chunks on the loop and streamed line by line
 * through the pipeline, `batch` lines to a message; each batch is parsed into a partial
 * aggregate in the pool, and the partials are merged on the loop as they come back. While a
 * worker parses one batch, the loop reads and splits the next.
 *
 * Three choices keep the overhead small, so that the loop does not become the bottleneck and
 * the workers do little more than the parse itself:
 * - the source yields the lines of a whole chunk at once and `flatMap` spreads them: an async
 *   source is pulled one item per `await`, and one await per line would cost more than the
 *   parse;
 * - a batch crosses to the pool as one newline-joined string, not an array of strings;
 * - the pool returns one partial aggregate per batch, not one record per line, in a compact
 *   form (`partial.ts`): merging flat arrays of counters is cheaper than cloning Maps, let
 *   alone a record per line.
 *
 * @module
 */
import type { Engine } from '@tandem/core';
import { type Aggregate, createAggregate } from './aggregate.ts';
import { mergePartial } from './partial.ts';
import { readLineChunks } from './read-lines.ts';
import type tasks from './tasks.ts';

export interface PipelineOptions {
  /** Lines per message to the pool. */
  batch: number;
}

export async function analysePipeline(
  engine: Engine<typeof tasks>,
  path: string,
  { batch }: PipelineOptions,
): Promise<Aggregate> {
  const total = createAggregate();
  // biome-ignore lint/complexity/noFlatMapIdentity: a pipeline stage; pipelines have no .flat()
  await engine
    .pipeline(readLineChunks(path))
    .flatMap((lines) => lines)
    .batch(batch)
    // What crosses the thread boundary matters: one joined string is one copy, where an array
    // of strings is one object per line to clone on the loop and to allocate in the worker.
    .map((lines) => lines.join('\n'))
    // One batch is already a message's worth of work: do not coalesce batches further.
    .cpu('parseLines', { batch: 1 })
    .tap((partial) => {
      mergePartial(total, partial);
    })
    .run();
  return total;
}
