// The log-analytics bench's extra task module: a whole chunk of the log per task, split in the
// worker. Not a mode of the example: it shows what the pipeline gains when the loop does not
// handle lines one by one (see the log-analytics scenario). Same parser, same aggregate.
import { defineTasks } from '@tandem/workers';
import { addRecord, createAggregate } from '../../../examples/log-analytics/src/aggregate.ts';
import { parseLine } from '../../../examples/log-analytics/src/parse.ts';
import { toPartial } from '../../../examples/log-analytics/src/partial.ts';

export default defineTasks({
  /** Parses the lines of `text` (complete lines, each ending with `\n`) into a partial aggregate. */
  parseText(text: string) {
    const partial = createAggregate();
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      addRecord(partial, parseLine(text.slice(start, end)));
      start = end + 1;
    }
    if (start < text.length) addRecord(partial, parseLine(text.slice(start)));
    return toPartial(partial);
  },
});
