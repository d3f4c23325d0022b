/**
 * Runs the compiled snippets one after the other in a child process (`runner.mjs`), each
 * under a hang guard. A snippet that crashes the child or hangs is reported, the child is
 * replaced, and the snippets after it still run: one broken block never hides another.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import type { SnippetFile } from './project.js';

export interface RunResult {
  readonly file: SnippetFile;
  /** What went wrong, or undefined when the snippet ran to its end without an error. */
  readonly error: string | undefined;
  /** What the snippet printed (stdout and stderr, interleaved). */
  readonly output: string;
}

type RunnerMessage =
  | { type: 'start'; index: number }
  | { type: 'done'; index: number }
  | { type: 'error'; index: number; error: string };

const runner = new URL('./runner.mjs', import.meta.url).pathname;

/**
 * Runs `files` in order, with `cwd` as the working directory.
 *
 * @param hangMs How long one snippet may run before it is declared hung and its child killed:
 *   a guard against a snippet that never ends, not a measure of speed.
 */
export async function runSnippets(
  files: readonly SnippetFile[],
  cwd: string,
  hangMs: number,
): Promise<RunResult[]> {
  const errors = new Map<SnippetFile, string[]>();
  const output = new Map<SnippetFile, string>();
  let next = 0;
  while (next < files.length) {
    const batch = files.slice(next);
    const done = await runBatch(
      batch,
      cwd,
      hangMs,
      (index, error) => {
        const file = batch[index];
        if (file) errors.set(file, [...(errors.get(file) ?? []), error]);
      },
      (index, text) => {
        const file = batch[index];
        if (file) output.set(file, (output.get(file) ?? '') + text);
      },
    );
    next += done;
  }
  return files.map((file) => ({
    file,
    error: errors.get(file)?.join('\n'),
    output: output.get(file) ?? '',
  }));
}

/**
 * Runs `batch` in one child until it ends or one snippet hangs or crashes it.
 *
 * @returns How many snippets of `batch` are finished (the crashed or hung one included).
 */
function runBatch(
  batch: readonly SnippetFile[],
  cwd: string,
  hangMs: number,
  onError: (index: number, error: string) => void,
  onOutput: (index: number, text: string) => void,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runner, ...batch.map((f) => f.output)], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let current = 0;
    let finished = 0;
    let hung: NodeJS.Timeout | undefined;
    const guard = () => {
      clearTimeout(hung);
      hung = setTimeout(() => {
        onError(current, `did not finish within ${hangMs} ms (the runner was killed)`);
        child.kill('SIGKILL');
      }, hangMs);
    };
    const capture = (chunk: Buffer) => onOutput(current, chunk.toString());
    child.stdout?.on('data', capture);
    child.stderr?.on('data', capture);
    child.on('message', (message: RunnerMessage) => {
      if (message.type === 'start') {
        current = message.index;
        guard();
      } else if (message.type === 'done') finished = message.index + 1;
      else onError(message.index, message.error);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(hung);
      if (finished === batch.length) return resolve(finished);
      if (signal !== 'SIGKILL') {
        onError(current, `the runner exited (${signal ?? `code ${code}`}) during this snippet`);
      }
      resolve(current + 1);
    });
  });
}
