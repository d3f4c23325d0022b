// Every code block of README.md and docs/*.md is a test: shell blocks name commands that
// exist; ts and js blocks type-check under the repository's strict settings (one program for
// all) and run (one child process, a hang guard per block). See docs/snippets/README.md.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { checkCommands } from '../docs-snippets/commands.js';
import { compileProject } from '../docs-snippets/compile.js';
import { docBlocks } from '../docs-snippets/docs.js';
import { writeProject } from '../docs-snippets/project.js';
import { runSnippets } from '../docs-snippets/run.js';

const root = new URL('../../', import.meta.url).pathname;
const blocks = docBlocks(root);
const project = writeProject(root, blocks);
after(() => project[Symbol.dispose]());

let diagnostics: string[] | undefined;
/** Type-checks and emits once, whichever test asks first. */
function compiled(): string[] {
  diagnostics ??= compileProject(root, project);
  return diagnostics;
}

test('docs: shell blocks name scripts and files that exist', () => {
  assert.ok(
    blocks.some((b) => b.lang === 'sh'),
    'expected shell blocks in the docs',
  );
  assert.deepEqual(checkCommands(root, blocks), []);
});

test('docs: ts and js blocks type-check under the strict settings', () => {
  assert.ok(project.files.length >= 10, `expected the docs' blocks, got ${project.files.length}`);
  const errors = compiled();
  assert.equal(errors.length, 0, `\n${errors.join('\n')}\n`);
});

test('docs: ts and js blocks run', async (t) => {
  compiled();
  const runnable = project.files.filter((f) => f.block.noRun === undefined);
  const results = await runSnippets(runnable, project.dir, 30_000);
  for (const block of blocks) {
    if (block.lang !== 'ts' && block.lang !== 'js') continue;
    const name = `${block.doc}:${block.line}${block.fileName ? ` ${block.fileName}` : ''}`;
    const skip = block.skip ?? block.noRun;
    if (skip !== undefined) {
      await t.test(name, { skip });
      continue;
    }
    const result = results.find((r) => r.file.block === block);
    await t.test(name, () => {
      if (result?.error !== undefined) {
        assert.fail(`${result.error}\n--- output ---\n${result.output}`);
      }
    });
  }
});
