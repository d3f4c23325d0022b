// Hostile inputs to every core API (fixtures/hostile-core.ts): NaN, Infinity, -1, huge values
// and strings for numeric options, non-objects and throwing Proxies as options, thenables as
// results, throwing callbacks, and aborts before the call, in the same tick and while waiting.
// Each must end in a coded error or its documented behaviour, never a crash or a hang, and
// leave no listener on the caller's signal. The cases run in a child process under a timeout.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('./fixtures/hostile-core.ts', import.meta.url));

interface Line {
  readonly start?: string;
  readonly name?: string;
  readonly ok?: boolean;
  readonly error?: string;
  readonly done?: boolean;
  readonly cases?: number;
}

test('every core API settles with a coded error or its documented behaviour', () => {
  const child = spawnSync(process.execPath, ['--import', 'tsx', fixture], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  const lines: Line[] = child.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Line);
  const started = lines.filter((l) => l.start !== undefined);
  const last = started.at(-1)?.start;
  const done = lines.find((l) => l.done);
  assert.ok(
    done,
    `the child did not finish (signal ${child.signal}, status ${child.status}); last case started: ${last}\n${child.stderr}`,
  );
  const failed = lines.filter((l) => l.ok === false).map((l) => `${l.name}: ${l.error}`);
  assert.deepEqual(failed, []);
  assert.equal(lines.filter((l) => l.ok === true).length, done.cases);
  assert.ok((done.cases ?? 0) >= 150, `only ${done.cases} cases ran`);
  assert.equal(child.status, 0, child.stderr);
});
