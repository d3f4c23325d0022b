/** Reading what a run left in its output folder, and checking it against the fixture. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FixtureServer } from '../../src/fixture-server.ts';
import { outputPaths } from '../../src/run-downloads.ts';
import type { ReportRow } from '../../src/tasks.ts';

/** Writes the fixture's URLs to `<dir>/urls.txt`; returns its path. */
export async function writeUrls(dir: string, server: FixtureServer): Promise<string> {
  const path = join(dir, 'urls.txt');
  await writeFile(path, `# the fixture's files\n${server.urls().join('\n')}\n`);
  return path;
}

export function readNdjson<T>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}

/** Names of download leftovers (`.part`, `.part.json`) in the files folder. */
export function partFiles(out: string): string[] {
  const files = outputPaths(out).files;
  return readdirSync(files).filter((name) => name.includes('.part'));
}

/**
 * The finished run's outputs match the fixture: every served file once in the report with
 * the manifest's hash and on disk with it; every missing file once in the dead letters.
 */
export function assertComplete(out: string, server: FixtureServer): void {
  const paths = outputPaths(out);
  const rows = readNdjson<ReportRow>(paths.report);
  const failed = readNdjson<{ item: { name: string }; error: { status: number } }>(
    paths.deadLetter,
  );
  const manifest = server.manifest();
  const served = manifest.filter((f) => f.fate !== 'missing');
  assert.deepEqual(rows.map((r) => r.name).sort(), served.map((f) => f.name).sort());
  for (const file of served) {
    const row = rows.find((r) => r.name === file.name)!;
    assert.equal(row.sha256, file.sha256, file.name);
    assert.equal(row.bytes, file.size, file.name);
    const bytes = readFileSync(join(paths.files, file.name));
    assert.equal(createHash('sha256').update(bytes).digest('hex'), file.sha256, file.name);
  }
  assert.deepEqual(
    failed.map((f) => f.item.name).sort(),
    manifest
      .filter((f) => f.fate === 'missing')
      .map((f) => f.name)
      .sort(),
  );
  for (const line of failed) assert.equal(line.error.status, 404);
  assert.deepEqual(partFiles(out), []);
}
