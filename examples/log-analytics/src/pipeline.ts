/**
 * The batched pipeline: the file is read in chunks on the loop and streamed line by line
 * through the pipeline, `batch` lines to a message; each batch is parsed into a partial
 * aggregate in the pool, and the partials are merged on the loop as they come back. While a
 * worker parses one batch, the loop reads and splits the next.
 *
 * Two choices keep the loop's share small, so that it does not become the bottleneck:
 * - the source yields the lines of a whole chunk at once and `flatMap` spreads them: an async
 *   source is pulled one item per `await`, and one await per line would cost more than the
 *   parse;
 * - the pool returns one partial aggregate per batch, not one record per line: merging a few
 *   thousand counters per batch is cheaper than cloning and counting every record on the loop.
 *
 * @module
 */
import type { Engine } from '@tandem/core';
import { type Aggregate, createAggregate, mergeAggregate } from './aggregate.ts';
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
  await engine
    .pipeline(readLineChunks(path))
    .flatMap((lines) => lines)
    .batch(batch)
    // One batch is already a message's worth of work: do not coalesce batches further.
    .cpu('parseLines', { batch: 1 })
    .tap((partial) => {
      mergeAggregate(total, partial);
    })
    .run();
  return total;
}
