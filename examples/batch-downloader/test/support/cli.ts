/**
 * The downloader as a child process, as `pnpm start` runs it: its output collected, its
 * stderr lines offered to a watcher (which may signal it), its exit awaited.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

const cwd = new URL('../..', import.meta.url).pathname;

/** Runs `src/main.ts args` to its exit; `onLine` sees each stderr line as it comes. */
export function runCli(
  t: TestContext,
  args: readonly string[],
  onLine?: (line: string, child: ChildProcess) => void,
): Promise<CliResult> {
  return startCli(t, args, onLine).exited;
}

/** Starts `src/main.ts args`; killed if the test ends first. */
export function startCli(
  t: TestContext,
  args: readonly string[],
  onLine?: (line: string, child: ChildProcess) => void,
): { child: ChildProcess; exited: Promise<CliResult> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  const lines = createInterface({ input: child.stderr });
  lines.on('line', (line) => {
    stderr += `${line}\n`;
    onLine?.(line, child);
  });
  const exited = once(child, 'close').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    stdout,
    stderr,
  }));
  return { child, exited };
}
