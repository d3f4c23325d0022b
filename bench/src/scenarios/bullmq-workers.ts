/**
 * The bullmq scenario's worker processes: `tandem-worker` (the CLI of `@tandem/bullmq`) on the
 * bench's task module, or a bare BullMQ worker for the raw row, each a child process tracked
 * until it exits, so a scenario that throws half-way still ends every one in its `finally`.
 * The Redis URL travels in the environment, as a password would.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Child, exitOf, repositoryRoot, tail } from './web-offload-processes.ts';

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

const cli = fileURLToPath(new URL('../../../packages/bullmq/dist/cli.js', import.meta.url));
const tasks = fileURLToPath(new URL('../workers/queue-tasks.ts', import.meta.url));
const rawWorker = fileURLToPath(new URL('../workers/bullmq-raw-worker.ts', import.meta.url));

export interface WorkerSpec {
  queue: string;
  threads: number;
  /** Jobs the process holds at once; undefined: tandem-worker's default (2 × threads). */
  concurrency?: number;
  lockDuration?: number;
  stalledInterval?: number;
}

export interface WorkerProcess {
  readonly pid: number;
  readonly child: Child;
}

export class QueueWorkers {
  readonly #url: string;
  readonly #alive = new Set<Child>();

  constructor(url: string) {
    this.#url = url;
  }

  /** A `tandem-worker` on `spec`; resolves once it printed its ready line. */
  tandem(spec: WorkerSpec): Promise<WorkerProcess> {
    const args = ['--tasks', tasks, '--queue', spec.queue, '--threads', String(spec.threads)];
    if (spec.concurrency !== undefined) args.push('--concurrency', String(spec.concurrency));
    if (spec.lockDuration !== undefined) args.push('--lock-duration', String(spec.lockDuration));
    if (spec.stalledInterval !== undefined) {
      args.push('--stalled-interval', String(spec.stalledInterval));
    }
    return this.#start(cli, args, /^tandem-worker ready /);
  }

  /** A bare BullMQ `Worker` whose processor returns the job's data (no Tandem, no threads). */
  raw(queue: string, concurrency: number): Promise<WorkerProcess> {
    return this.#start(rawWorker, [queue, String(concurrency)], /^raw-worker ready/);
  }

  async #start(script: string, args: string[], ready: RegExp): Promise<WorkerProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: repositoryRoot,
      env: { ...process.env, TANDEM_REDIS_URL: this.#url },
      stdio: ['pipe', 'pipe', 'pipe'],
    }) as Child;
    child.stdin.on('error', () => undefined);
    this.#alive.add(child);
    child.once('exit', () => this.#alive.delete(child));
    child.once('error', () => this.#alive.delete(child));
    const stderr = tail(child.stderr);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker not ready: ${stderr()}`)),
        READY_TIMEOUT_MS,
      );
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        if (!ready.test(line)) return;
        clearTimeout(timer);
        lines.close();
        child.stdout.resume();
        resolve();
      });
      void exitOf(child).then((how) => {
        clearTimeout(timer);
        reject(new Error(`worker exited (${how}) before it was ready: ${stderr()}`));
      });
    });
    return { pid: child.pid!, child };
  }

  /** kill -9, as a crash of the machine would. */
  async kill9(worker: WorkerProcess): Promise<void> {
    worker.child.kill('SIGKILL');
    await exitOf(worker.child);
  }

  /** Stops one gracefully (SIGTERM), SIGKILL past the timeout. */
  async stop(worker: WorkerProcess): Promise<void> {
    if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
    worker.child.kill('SIGTERM');
    const force = setTimeout(() => worker.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exitOf(worker.child);
    clearTimeout(force);
  }

  /** Stops every worker still running, gracefully. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#alive].map((child) => this.stop({ pid: child.pid!, child })));
  }

  /** Ends every worker still running (SIGKILL: the path for when something went wrong). */
  async killAll(): Promise<void> {
    const alive = [...this.#alive];
    for (const child of alive) child.kill('SIGKILL');
    await Promise.all(alive.map(exitOf));
  }
}

/** CPU time (user + system) a process has used, µs, from /proc; undefined off Linux. */
export function processCpuMicros(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, inside parentheses).
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    return (ticks * 1e6) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** `getconf CLK_TCK` on every Linux Node runs on. */
const CLOCK_TICKS = 100;
