// What the published packages hold, checked without packing (scripts/pack-check.mjs, run by
// CI, packs and installs them for real).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const root = new URL('../../', import.meta.url).pathname;
const packages = ['core', 'workers', 'prometheus'];

test('each package ships the repository LICENSE, unchanged', () => {
  const license = readFileSync(join(root, 'LICENSE'), 'utf8');
  assert.match(license, /^MIT License\n\nCopyright \(c\) 2026 the Tandem authors\n/);
  for (const name of packages) {
    const dir = join(root, 'packages', name);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    assert.equal(manifest.license, 'MIT');
    assert.ok(manifest.files.includes('LICENSE'), `${name}: "files" lacks LICENSE`);
    assert.equal(readFileSync(join(dir, 'LICENSE'), 'utf8'), license, `${name}/LICENSE differs`);
  }
});

test('each package ships src, which its .js.map and .d.ts.map files point at', () => {
  for (const name of packages) {
    const dir = join(root, 'packages', name);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const config = readFileSync(join(root, 'tsconfig.base.json'), 'utf8');
    if (/"(declarationMap|sourceMap)": true/.test(config)) {
      assert.ok(manifest.files.includes('src'), `${name}: maps point at src, which is not shipped`);
    }
  }
});
