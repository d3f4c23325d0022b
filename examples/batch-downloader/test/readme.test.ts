import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { usage } from '../src/cli-options.ts';

test('the README documents every flag that --help lists', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const flags = [...usage().matchAll(/^\s+(?:-\w, )?--([a-z0-9-]+)/gm)].map((m) => m[1]);
  assert.ok(flags.length > 20);
  for (const flag of new Set(flags)) assert.ok(readme.includes(`\`--${flag}`), `--${flag}`);
});
