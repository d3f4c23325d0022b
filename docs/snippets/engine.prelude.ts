// biome-ignore-all lint/correctness/noUnusedVariables: a prelude declares names for the snippet after it
// Prelude `engine`: an engine over ./tasks.ts (wordCount, parse, solveA, solveB, score), closed
// when the snippet ends, and inputs for those tasks.
import { Engine as __Engine } from '@tandem/core';
import type __tasks from '../snippets/tasks.js';

await using engine = await __Engine.start<typeof __tasks>({
  tasks: new URL('../snippets/tasks.js', import.meta.url),
});
const problem = [3, 1, 4, 1, 5, 9, 2, 6];
/** Rows whose score rises by 0.1 each: the first above 0.99 is the 11th. */
function* endlessRows(): Generator<Float64Array> {
  for (let i = 0; ; i++) yield Float64Array.of(i / 10);
}
