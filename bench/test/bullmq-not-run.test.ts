// Without redis-server (or without the engine) the bullmq scenarios run nothing and say so:
// their targets are "not run" with the reason, never met or missed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ScenarioContext } from '../src/runner/scenario.ts';
import { bullmqRecovery, bullmqThroughput } from '../src/scenarios/bullmq.ts';

const context = (tandemUnavailable?: string): ScenarioContext => ({
  quick: true,
  threads: 1,
  cores: 2,
  tandemUnavailable,
  log: () => {},
});

test('no redis-server on the PATH: both scenarios say "not run" and why', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'bench-no-redis-'));
  const path = process.env.PATH;
  process.env.PATH = empty;
  t.after(() => {
    process.env.PATH = path;
    rmSync(empty, { recursive: true, force: true });
  });
  for (const scenario of [bullmqThroughput, bullmqRecovery]) {
    const result = await scenario.run(context());
    assert.deepEqual(result.rows, []);
    assert.ok(result.targets.length > 0);
    for (const target of result.targets) {
      assert.equal(target.status, 'not run');
      assert.match(target.detail, /redis-server/);
    }
  }
});

test('no engine: not run, with the engine’s reason', async () => {
  const result = await bullmqThroughput.run(context('cannot import @tandem/core'));
  assert.equal(result.targets[0]!.status, 'not run');
  assert.match(result.targets[0]!.detail, /engine unavailable/);
});
