// The task module: runs in the worker threads, imports only @tandem/workers and the parser.
import { defineTasks } from '@tandem/workers';
import { type Aggregate, addRecord, createAggregate } from './aggregate.ts';
import { type LogRecord, parseLine } from './parse.ts';

/** Parses a batch of lines into one partial aggregate: one message back for the whole batch. */
export function parseLines(lines: readonly string[]): Aggregate {
  const partial = createAggregate();
  for (const line of lines) addRecord(partial, parseLine(line));
  return partial;
}

export default defineTasks({
  parseLines,
  /** One line, one message each way: the un-batched way, to show what it costs. */
  parseLine(line: string): LogRecord | undefined {
    return parseLine(line);
  },
});
