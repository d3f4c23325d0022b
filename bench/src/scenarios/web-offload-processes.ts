/**
 * The child processes of the web-offload scenario (the service under test and the load
 * generators), kept in one set so that a scenario that throws half-way still ends every one
 * of them in its `finally`: a bench run never leaves a server or an autocannon behind.
 *
 * @module
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export type Child = ChildProcessByStdio<Writable, Readable, Readable>;

/** The repository's root: the service's command line is relative to it. */
export const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Resolves once `child` has exited (at once if it already has), with its code or signal. */
export function exitOf(child: Child): Promise<number | NodeJS.Signals> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'SIGKILL'));
  });
}

/** The last `limit` characters a stream wrote: enough of a child's stderr to say why it failed. */
export function tail(stream: Readable, limit = 4_000): () => string {
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    text = (text + chunk).slice(-limit);
  });
  return () => text.trim();
}

export class ChildProcesses {
  readonly #alive = new Set<Child>();

  /** `node --import tsx <script> …args` from the repository's root, tracked until it exits. */
  node(script: string, args: readonly string[]): Child {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: repositoryRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // A child that died before reading its stdin: its exit says so, not an EPIPE here.
    child.stdin.on('error', () => undefined);
    this.#alive.add(child);
    child.once('exit', () => this.#alive.delete(child));
    // A child that cannot be spawned emits 'error' and never 'exit'.
    child.once('error', () => this.#alive.delete(child));
    return child;
  }

  /** Ends every child still running (SIGKILL: this is the path for when something went wrong). */
  async killAll(): Promise<void> {
    const alive = [...this.#alive];
    for (const child of alive) child.kill('SIGKILL');
    await Promise.all(alive.map(exitOf));
  }
}
