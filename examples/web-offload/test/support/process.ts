/**
 * The service as a child process, as `pnpm start` runs it: its URL line read from stdout,
 * its exit awaited, killed if the test ends first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Child {
  readonly child: ChildProcess;
  /** The URL from the first stdout line (rejects if the process ends before printing it). */
  readonly url: Promise<string>;
  readonly exited: Promise<Exit>;
}

const cwd = new URL('../..', import.meta.url).pathname;

/** Runs `node --import tsx <script> ...args` in the example's folder. */
export function spawnScript(t: TestContext, script: string, args: readonly string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const lines = createInterface({ input: child.stdout });
  const url = new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => {
      try {
        resolve((JSON.parse(line) as { url: string }).url);
      } catch {
        reject(new Error(`the first stdout line is not the URL line: ${line}`));
      }
    });
    child.once('close', () => reject(new Error(`exited before listening:\n${stderr}`)));
  });
  url.catch(() => {});
  lines.on('line', (line) => {
    stdout += `${line}\n`;
  });
  const exited = once(child, 'close').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    stdout,
    stderr,
  }));
  return { child, url, exited };
}
