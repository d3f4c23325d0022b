import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);

test('the loop demo runs as `pnpm start` does and reports matching results', async () => {
  const cwd = new URL('..', import.meta.url).pathname;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd });
  assert.match(stdout, /^inline\s/m);
  assert.match(stdout, /^engine \(\d+ threads?\)\s/m);
  assert.match(stdout, /same results inline and in the engine: yes/);
});
