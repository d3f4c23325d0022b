/**
 * The un-batched way, to show why batching matters: one `engine.run` per line, a window of
 * them in flight, each parsed record merged on the loop. Every line pays a message each way,
 * a structured clone and a promise; the parse itself is the smallest part.
 *
 * @module
 */
import type { Engine } from '@tandem/core';
import { type Aggregate, addRecord, createAggregate } from './aggregate.ts';
import { readLines } from './read-lines.ts';
import type tasks from './tasks.ts';

export interface PerLineOptions {
  /** Lines to analyse at most (from the start of the file): this mode is slow by design. */
  limit: number;
  /** Tasks in flight at once. Enough to keep every worker fed; the pool queues the rest. */
  window: number;
}

export async function analysePerLine(
  engine: Engine<typeof tasks>,
  path: string,
  { limit, window }: PerLineOptions,
): Promise<Aggregate> {
  const aggregate = createAggregate();
  let inFlight = 0;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const settled = () => {
    inFlight--;
    wake?.();
  };
  const room = (below: number) =>
    new Promise<void>((resolve) => {
      wake = () => {
        if (inFlight < below) {
          wake = undefined;
          resolve();
        }
      };
    });
  let read = 0;
  for await (const line of readLines(path)) {
    if (read === limit || failure) break;
    read++;
    if (inFlight >= window) await room(window);
    inFlight++;
    engine.run('parseLine', line).then(
      (record) => {
        addRecord(aggregate, record);
        settled();
      },
      (error: unknown) => {
        failure ??= { error };
        settled();
      },
    );
  }
  if (inFlight > 0) await room(1);
  if (failure) throw failure.error;
  return aggregate;
}
