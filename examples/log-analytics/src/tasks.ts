// The task module: runs in the worker threads, imports only @tandem/workers and the parser.
import { defineTasks } from '@tandem/workers';
import { addRecord, createAggregate } from './aggregate.ts';
import { type LogRecord, parseLine } from './parse.ts';
import { toPartial } from './partial.ts';

export default defineTasks({
  /**
   * Parses a batch of lines into one partial aggregate: one message back for the whole batch,
   * its counters in a few typed arrays. (Copied, not moved: `moveResult()` is not unwrapped
   * for items of a batched call yet, and these arrays are small.)
   */
  parseLines(lines: readonly string[]) {
    const partial = createAggregate();
    for (const line of lines) addRecord(partial, parseLine(line));
    return toPartial(partial);
  },
  /** One line, one message each way: the un-batched way, to show what it costs. */
  parseLine(line: string): LogRecord | undefined {
    return parseLine(line);
  },
});
