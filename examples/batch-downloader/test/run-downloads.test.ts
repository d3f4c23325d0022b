import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Engine } from '@tandem/core';
import { outputPaths, runDownloads } from '../src/run-downloads.ts';
import { targetsFor } from '../src/targets.ts';
import type tasks from '../src/tasks.ts';
import { fixture, tempDir } from './support/harness.ts';
import { readNdjson } from './support/outputs.ts';

test('a 503 halves its host’s limit; the run reports it, with the rows and the dead letters', {
  timeout: 60_000,
}, async (t) => {
  const server = await fixture(t, {
    files: 6,
    minSize: 1_000,
    maxSize: 4_000,
    failures: { retryAfter: 1, missing: 1 },
    retryAfterSeconds: 0,
  });
  const engine = await Engine.start<typeof tasks>({
    tasks: new URL('../src/tasks.ts', import.meta.url),
    threads: 1,
  });
  t.after(() => engine.close());
  const out = join(await tempDir(t), 'out');
  const finished: string[] = [];
  const failed: string[] = [];
  // One download at a time: the retry of the 503 starts right after the limit was halved.
  const result = await runDownloads(engine, targetsFor(server.urls()), {
    out,
    concurrency: 1,
    perHost: 4,
    attempts: 3,
    timeouts: { connect: 10_000, headers: 10_000, bodyIdle: 10_000 },
    progressBar: false,
    onFinished: (row) => finished.push(row.name),
    onFailed: (target, error) =>
      failed.push(`${target.name} ${(error as { status: number }).status}`),
  });
  const busy = server.manifest().find((f) => f.fate === 'retryAfter')!;
  const missing = server.manifest().find((f) => f.fate === 'missing')!;
  assert.deepEqual([result.report.done, result.report.failed, result.report.retried], [5, 1, 2]);
  assert.deepEqual(failed, [`${missing.name} 404`]);
  assert.equal(finished.length, 5);
  assert.equal(result.hosts.length, 1);
  assert.equal(result.hosts[0]!.lowest, 1, 'halved twice: 4 → 2 → 1');
  const rows = readNdjson<{ name: string; attempts: number }>(outputPaths(out).report);
  assert.equal(rows.find((r) => r.name === busy.name)?.attempts, 3);
});
