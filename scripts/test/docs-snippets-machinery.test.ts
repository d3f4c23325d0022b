// The docs test's own machinery, on a made-up document: a block that stops compiling, throws,
// crashes its process or hangs is reported at its markdown line, and the blocks after it
// still run.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { test } from 'node:test';
import { checkCommands } from '../docs-snippets/commands.js';
import { compileProject } from '../docs-snippets/compile.js';
import { extractBlocks } from '../docs-snippets/extract.js';
import { writeProject } from '../docs-snippets/project.js';
import { runSnippets } from '../docs-snippets/run.js';

const root = new URL('../../', import.meta.url).pathname;
const fence = '```';

const doc = [
  '# A made-up document', //                                    1
  '', //                                                        2
  `${fence}ts`, //                                              3
  '// tasks.ts', //                                             4
  "import { defineTasks } from '@tandem/workers';", //          5
  'export default defineTasks({ twice: (n: number) => 2 * n });', // 6
  fence, //                                                     7
  '<!-- snippet: prelude=web -->', //                          8
  `${fence}ts`, //                                              9
  "const n: number = 'not a number';", //                      10
  'const s: string = url;', //                                 11
  fence, //                                                    12
  `${fence}ts`, //                                             13
  "throw new Error('thrown by the block at line 14');", //     14
  fence, //                                                    15
  `${fence}ts`, //                                             16
  'process.exit(3);', //                                       17
  fence, //                                                    18
  '<!-- snippet: no-run=shows a hang -->', //                  19
  `${fence}ts`, //                                             20
  'await new Promise(() => setInterval(() => {}, 1_000));', // 21
  fence, //                                                    22
  `${fence}ts`, //                                             23
  "import { Engine } from '@tandem/core';", //                 24
  'import type tasks from "./tasks.js";', //                   25
  "await using engine = await Engine.start<typeof tasks>({ tasks: new URL('./tasks.js', import.meta.url) });", // 26
  "console.log('twice 21 is', await engine.run('twice', 21));", // 27
  fence, //                                                    28
  '<!-- snippet: skip=not even TypeScript -->', //            29
  `${fence}ts`, //                                             30
  'this is not code', //                                       31
  fence, //                                                    32
  `${fence}sh`, //                                             33
  'pnpm install && pnpm test # fine', //                      34
  'pnpm no-such-script', //                                    35
  'pnpm --filter @tandem/bench bench --quick', //             36
  'node scripts/missing.mjs', //                               37
  fence, //                                                    38
].join('\n');

test('extract: blocks, their first line, file name and directives', () => {
  const blocks = extractBlocks('made-up.md', doc);
  assert.deepEqual(
    blocks.map((b) => [b.line, b.lang, b.fileName, b.preludes, b.noRun, b.skip]),
    [
      [4, 'ts', 'tasks.ts', [], undefined, undefined],
      [10, 'ts', undefined, ['web'], undefined, undefined],
      [14, 'ts', undefined, [], undefined, undefined],
      [17, 'ts', undefined, [], undefined, undefined],
      [21, 'ts', undefined, [], 'shows a hang', undefined],
      [24, 'ts', undefined, [], undefined, undefined],
      [31, 'ts', undefined, [], undefined, 'not even TypeScript'],
      [34, 'sh', undefined, [], undefined, undefined],
    ],
  );
  assert.throws(() => extractBlocks('x.md', '<!-- snippet: prelud=web -->\n```ts\n```'), /x\.md:1/);
});

test('commands: unknown scripts and missing files are reported at their line', () => {
  assert.deepEqual(checkCommands(root, extractBlocks('made-up.md', doc)), [
    'made-up.md:35: "no-such-script" is not a script of the root package.json',
    'made-up.md:37: scripts/missing.mjs does not exist',
  ]);
});

test('compile and run: each failure is reported at its markdown line', async () => {
  using project = writeProject(root, extractBlocks('made-up.md', doc));
  const errors = compileProject(root, project);
  // Line 10 is a type error; line 11 compiles because the prelude declares `url`.
  assert.deepEqual(
    errors.map((e) => e.split(': error')[0]),
    ['made-up.md:10'],
    errors.join('\n'),
  );
  const runnable = project.files.filter((f) => f.block.noRun === undefined);
  const results = await runSnippets(runnable, project.dir, 60_000);
  const outcome = (line: number) => results.find((r) => r.file.block.line === line);
  assert.equal(outcome(4)?.error, undefined);
  assert.equal(outcome(10)?.error, undefined); // type errors are the compiler's business
  assert.match(outcome(14)?.error ?? '', /thrown by the block at line 14/);
  assert.match(outcome(17)?.error ?? '', /exited \(code 3\)/);
  // The block after the crash ran in a new runner.
  assert.equal(outcome(24)?.error, undefined);
  assert.match(outcome(24)?.output ?? '', /twice 21 is 42/);
});

test('run: a block that never ends is stopped by the hang guard, and the next one runs', async () => {
  const hang = `${fence}js\nsetInterval(() => {}, 1_000);\nawait new Promise(() => {});\n${fence}\n${fence}js\nconsole.log('after');\n${fence}\n`;
  using project = writeProject(root, extractBlocks('hang.md', hang));
  // JavaScript blocks run as written: no need to compile.
  for (const file of project.files) {
    mkdirSync(dirname(file.output), { recursive: true });
    copyFileSync(file.source, file.output);
  }
  // The guard is generous for the block that ends at once (it only prints), and the hanging
  // block costs exactly that long.
  const [hung, after] = await runSnippets(project.files, project.dir, 3_000);
  assert.match(hung?.error ?? '', /did not finish within 3000 ms/);
  assert.equal(after?.error, undefined);
  assert.equal(after?.output, 'after\n');
});
