// The task module: runs in the worker threads, imports only @tandem/workers and the parser.
import { defineTasks } from '@tandem/workers';
import { addRecord, createAggregate } from './aggregate.ts';
import { type LogRecord, parseLine } from './parse.ts';
import { toPartial } from './partial.ts';

export default defineTasks({
  /**
   * Parses a batch of lines, joined with `\n` (the exact inverse of `lines.join('\n')`: N - 1
   * separators, N lines, empty ones included), into one partial aggregate: one message back
   * for the whole batch, its counters in a few typed arrays.
   */
  parseLines(batch: string) {
    const partial = createAggregate();
    let start = 0;
    for (;;) {
      const end = batch.indexOf('\n', start);
      addRecord(partial, parseLine(end === -1 ? batch.slice(start) : batch.slice(start, end)));
      if (end === -1) break;
      start = end + 1;
    }
    return toPartial(partial);
  },
  /** One line, one message each way: the un-batched way, to show what it costs. */
  parseLine(line: string): LogRecord | undefined {
    return parseLine(line);
  },
});
