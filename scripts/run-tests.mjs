#!/usr/bin/env node
// Runs every test file of the workspace in one `node --test` run, so that there is one summary.
// Node 20 does not expand globs given to --test, so the files are listed here.
//
//   node scripts/run-tests.mjs [--node-flag …] [path-substring …]
//
// Output: a dot per test, then failures, skips and node's summary (scripts/test-reporter.mjs).
// Give a `--test-reporter=…` flag to use another reporter (`--test-reporter=spec` lists every
// test). With CI set, the full TAP stream also goes to test-results.tap.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const roots = ['packages', 'examples', 'bench', 'scripts'].map((dir) => join(root, dir));

function* testFiles(dir) {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist' || entry === 'fixtures') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* testFiles(path);
    else if (/\.test\.ts$/.test(entry)) yield relative(root, path);
  }
}

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('-'));
const only = args.filter((a) => !a.startsWith('-'));
const files = roots
  .flatMap((dir) => [...testFiles(dir)])
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
// Given no file at all, node --test would fall back to its own discovery and run fixtures.
if (files.length === 0) {
  console.error(`No test file's path contains ${only.map((o) => JSON.stringify(o)).join(' or ')}.`);
  process.exit(2);
}

const reporters = flags.some((f) => f.startsWith('--test-reporter'))
  ? []
  : ['--test-reporter', './scripts/test-reporter.mjs', '--test-reporter-destination', 'stdout'];
if (reporters.length > 0 && process.env.CI) {
  reporters.push('--test-reporter', 'tap', '--test-reporter-destination', 'test-results.tap');
}

const result = spawnSync(
  process.execPath,
  [
    // The test files' processes inherit this flag. The only experimental API the tests use
    // on purpose is MockTimers (`t.mock.timers`, deterministic time); its warning, once per
    // file, says nothing new.
    '--no-warnings=ExperimentalWarning',
    '--import',
    'tsx',
    '--test',
    ...reporters,
    ...flags,
    ...files,
  ],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
