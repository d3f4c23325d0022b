import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { hostOf, readUrlList, targetsFor } from '../src/targets.ts';
import { tempDir } from './support/harness.ts';

test('names come from the last path segment, made safe; a taken or empty one gets a hash', () => {
  const targets = targetsFor([
    'http://a.example/x/report.pdf',
    'http://b.example/y/report.pdf',
    'http://c.example/',
    'http://d.example/..%2F..%2Fetc%2Fpasswd',
    'http://e.example/a%20b?.txt',
    'not a url',
    'http://a.example/x/report.pdf',
  ]);
  const names = targets.map((t) => t.name);
  assert.equal(names[0], 'report.pdf');
  assert.match(names[1]!, /^[0-9a-f]{8}-report\.pdf$/);
  assert.match(names[2]!, /^[0-9a-f]{8}$/);
  assert.equal(names[3], '_.._etc_passwd'); // one path segment, never a way out of the folder
  assert.equal(names[4], 'a_b');
  assert.match(names[5]!, /^[0-9a-f]{8}$/);
  assert.equal(targets.length, 6, 'a URL listed twice is downloaded once');
  assert.equal(new Set(names).size, names.length);
  assert.deepEqual(targetsFor(targets.map((t) => t.url)), targets, 'the same list, the same names');
});

test('the URL list skips blank lines and comments; hostOf() is the limiter key', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'urls.txt');
  await writeFile(path, '# files\r\nhttp://a.example:8080/1\n\n  http://b.example/2  \n');
  assert.deepEqual(await readUrlList(path), ['http://a.example:8080/1', 'http://b.example/2']);
  assert.equal(hostOf('http://a.example:8080/1'), 'a.example:8080');
  assert.equal(hostOf('garbage'), '');
});
