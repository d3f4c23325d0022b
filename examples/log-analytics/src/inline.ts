/**
 * The single-thread baseline: the same reader and the same parser as the other modes, all on
 * the event loop, with nothing between them (a plain loop over each chunk's lines). The
 * fastest honest way to do this job on one thread, so the pipeline is compared with a real
 * alternative, not a straw man.
 *
 * @module
 */
import { type Aggregate, addRecord, createAggregate } from './aggregate.ts';
import { parseLine } from './parse.ts';
import { readLineChunks } from './read-lines.ts';

export async function analyseInline(path: string): Promise<Aggregate> {
  const aggregate = createAggregate();
  for await (const lines of readLineChunks(path)) {
    for (const line of lines) addRecord(aggregate, parseLine(line));
  }
  return aggregate;
}
