import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const root = new URL('../../../', import.meta.url).pathname;

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (entry.name.endsWith('.ts')) yield path;
  }
}

test('every ERR_TANDEM_ code in the source is documented in docs/errors.md', () => {
  const documented = readFileSync(join(root, 'docs/errors.md'), 'utf8');
  const used = new Set<string>();
  for (const pkg of ['packages/workers/src', 'packages/core/src']) {
    for (const file of sources(join(root, pkg))) {
      for (const [code] of readFileSync(file, 'utf8').matchAll(/ERR_TANDEM_[A-Z_]+[A-Z]/g))
        used.add(code);
    }
  }
  assert.ok(used.size >= 10, `expected the catalogue to be found, got ${used.size} codes`);
  const missing = [...used].filter((code) => !documented.includes(`\`${code}\``));
  assert.deepEqual(missing, []);
});
