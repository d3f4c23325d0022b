#!/usr/bin/env node
// Runs every test file of the workspace in one `node --test` run, so that there is one summary.
// Node 20 does not expand globs given to --test, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const roots = ['packages', 'examples', 'bench'].map((dir) => join(root, dir));

function* testFiles(dir) {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist' || entry === 'fixtures') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* testFiles(path);
    else if (/\.test\.ts$/.test(entry)) yield relative(root, path);
  }
}

const only = process.argv.slice(2);
const files = roots
  .flatMap((dir) => [...testFiles(dir)])
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
