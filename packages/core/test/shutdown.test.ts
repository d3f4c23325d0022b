import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { test } from 'node:test';

const child = new URL('./fixtures/shutdown-child.ts', import.meta.url).pathname;

/** Starts the child and returns its lines as they come, and a way to wait for one. */
function start(mode: string) {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters: { text: string; resolve: () => void }[] = [];
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const waiter of waiters.filter((w) => line.includes(w.text))) waiter.resolve();
  });
  const line = (text: string) =>
    lines.some((l) => l.includes(text))
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiters.push({ text, resolve }));
  const exit = once(proc, 'exit') as Promise<[number | null, string | null]>;
  return { proc, lines, line, exit };
}

function kill(proc: ChildProcess): void {
  if (proc.exitCode === null) proc.kill('SIGKILL');
}

test('the first SIGTERM cancels the engine scopes, stops the CPU work and exits with 143', {
  timeout: 30_000,
}, async (t) => {
  const { proc, lines, line, exit } = start('cooperative');
  t.after(() => kill(proc));
  await line('ready');
  proc.kill('SIGTERM');
  const [code] = await exit;
  assert.equal(code, 143);
  assert.ok(lines.includes('work ended: ERR_TANDEM_CANCELLED'), lines.join('\n'));
  assert.ok(lines.includes('closed; stopped loops: 1'), lines.join('\n'));
});

test('a second SIGTERM forces the exit while a stubborn task holds the graceful one', {
  timeout: 30_000,
}, async (t) => {
  const { proc, lines, line, exit } = start('stubborn');
  t.after(() => kill(proc));
  await line('ready');
  proc.kill('SIGTERM');
  await line('signal received');
  proc.kill('SIGTERM');
  const [code] = await exit;
  assert.equal(code, 143);
  assert.ok(!lines.some((l) => l.startsWith('closed')), 'it did not wait for the 60 s grace');
});

test('a SIGINT then a SIGTERM: the second signal, whichever it is, forces the exit', {
  timeout: 30_000,
}, async (t) => {
  const { proc, lines, line, exit } = start('stubborn');
  t.after(() => kill(proc));
  await line('ready');
  proc.kill('SIGINT');
  await line('signal received');
  proc.kill('SIGTERM');
  const [code] = await exit;
  assert.equal(code, 143);
  assert.ok(!lines.some((l) => l.startsWith('closed')), 'it did not wait for the 60 s grace');
});

test('a signal during engine.close() still cancels the engine scopes, and the close completes', {
  timeout: 30_000,
}, async (t) => {
  const { proc, lines, line, exit } = start('closing');
  t.after(() => kill(proc));
  await line('closing');
  proc.kill('SIGTERM');
  const [code] = await exit;
  assert.equal(code, 143);
  assert.ok(lines.includes('work ended: ERR_TANDEM_CANCELLED'), lines.join('\n'));
  assert.ok(lines.includes('closed; stopped loops: 1'), lines.join('\n'));
});
