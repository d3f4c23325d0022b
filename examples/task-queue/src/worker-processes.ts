/**
 * `--role all`'s worker processes: this same program with `--role worker`, each in a process
 * group of its own (a Ctrl-C in the terminal reaches only the demo, which stops them in
 * order) and with an IPC channel (if the demo dies, the channel closes and they stop too).
 * Their stderr is forwarded, prefixed; their one stdout line says they are ready.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Ms a worker may take to start (load tsx, its threads and the task module, reach Redis). */
const READY_TIMEOUT_MS = 60_000;
/** Ms a worker may take to stop gracefully before it is killed. */
const STOP_TIMEOUT_MS = 15_000;

export interface WorkerProcess {
  readonly pid: number;
  /** The line it printed when ready. */
  readonly ready: string;
}

export class WorkerProcesses {
  readonly #children = new Set<ChildProcess>();
  readonly #log: (line: string) => void;

  constructor(log: (line: string) => void) {
    this.#log = log;
  }

  /**
   * Starts one with `args` (after `--role worker`) and the Redis URL in its environment (a
   * password never goes on a command line, where `ps` shows it); resolves once it is ready.
   */
  async start(name: string, args: readonly string[], redis: string): Promise<WorkerProcess> {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      [...process.execArgv, main, '--role', 'worker', ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        detached: true,
        env: { ...process.env, TANDEM_REDIS_URL: redis },
      },
    );
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    createInterface({ input: child.stderr! }).on('line', (line) => this.#log(`[${name}] ${line}`));
    const lines = createInterface({ input: child.stdout! });
    const ready = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name} was not ready within ${READY_TIMEOUT_MS} ms`)),
        READY_TIMEOUT_MS,
      );
      lines.once('line', (line) => {
        clearTimeout(timer);
        resolve(line);
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (${signal ?? code}) before it was ready`));
      });
    });
    return { pid: child.pid!, ready: await ready };
  }

  /** Kills every worker at once (SIGKILL), synchronously: for a process about to exit. */
  killNow(): void {
    for (const child of this.#children) child.kill('SIGKILL');
  }

  /**
   * Stops every worker: SIGTERM (each finishes the jobs it holds), SIGKILL past the timeout;
   * resolves once all have exited.
   */
  async stop(): Promise<void> {
    const alive = [...this.#children].filter((c) => c.exitCode === null && c.signalCode === null);
    await Promise.all(
      alive.map(async (child) => {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const force = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(force);
      }),
    );
  }
}
