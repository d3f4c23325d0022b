// Runs a hostile case in a child process under a timeout, so that a hang or a crash fails
// one test instead of the whole run. The child prints one JSON line last; that is the result.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Isolated {
  /** The child's exit code (null when it was killed, e.g. by the timeout). */
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The last line of stdout, parsed; undefined when there is none or it is not JSON. */
  result: any;
}

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** Runs `script` (a `.ts` file) with `args` in a fresh Node process, killed after `timeout` ms. */
export function isolated(script: URL, args: string[] = [], timeout = 30_000): Promise<Isolated> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(script), ...args],
      { cwd: root, timeout, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        const last = stdout.trim().split('\n').at(-1) ?? '';
        let result: unknown;
        try {
          result = JSON.parse(last);
        } catch {
          result = undefined;
        }
        resolve({ status, signal: error?.signal ?? null, stdout, stderr, result });
      },
    );
  });
}

/** How a settled call ended, as plain data a child can print. */
export function outcome(settled: PromiseSettledResult<unknown>): Record<string, unknown> {
  if (settled.status === 'fulfilled') return { status: 'fulfilled', value: settled.value };
  const error = settled.reason as Record<string, unknown> | null;
  if (typeof error !== 'object' || error === null) {
    return { status: 'rejected', type: typeof error, value: String(error) };
  }
  return {
    status: 'rejected',
    class: (error.constructor as { name?: string } | undefined)?.name,
    name: error.name,
    code: error.code,
    message: error.message,
    path: error.path,
    ownKeys: Object.keys(error),
  };
}
