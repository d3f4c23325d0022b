// The task module of the `engine` prelude: the tasks that the docs' snippets call.
import { defineTasks } from '@tandem/workers';

export default defineTasks({
  wordCount(text: string) {
    return text.split(/\s+/).filter(Boolean).length;
  },
  parse(html: string) {
    return { title: /<title>(.*?)<\/title>/.exec(html)?.[1] ?? '', length: html.length };
  },
  solveA(problem: readonly number[]) {
    return problem.reduce((sum, x) => sum + x, 0);
  },
  solveB(problem: readonly number[]) {
    let sum = 0;
    for (const x of problem) sum += x;
    return sum;
  },
  score(row: Float64Array) {
    let total = 0;
    for (const x of row) total += x;
    return total;
  },
});
