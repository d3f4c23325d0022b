/**
 * The options of a `WorkerPool`, their defaults and their checks.
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';
import { InvalidArgumentError, OutOfRangeError } from './errors.js';
import { checkDuration, checkInteger, checkNumber, checkOneOf, checkSignal } from './validate.js';

/** How a pool is built. Every default is printed back by `pool.stats()`. */
export interface WorkerPoolOptions {
  /** The task module (`export default defineTasks({ … })`): a `file:` URL or a path. */
  tasks: URL | string;
  /** Worker threads. Default `max(1, os.availableParallelism() - 1)`: one core stays with the loop. */
  threads?: number;
  /**
   * Tasks a worker holds at once: one runs, the others wait inside the worker so that it never
   * idles between messages. Default `'auto'`: the pool measures each task name's cost and sends
   * messages of about 1 ms of work (up to 256 tasks) while a worker holds less than about 2 ms
   * (always two tasks if it can); an idle worker takes back tasks still waiting in a busy one.
   * A number `n`: each worker holds at most `n` tasks and a message carries at most `n`; 1
   * sends every task alone. A task waiting inside a worker is still cancelled at once (it is
   * skipped when reached). See docs/dispatch.md.
   */
  concurrentTasksPerWorker?: number | 'auto';
  /** Tasks that may wait for a worker. Default `16 × threads`. */
  maxQueue?: number;
  /** When the queue is full: `'wait'` for room (default) or `'reject'` with `ERR_TANDEM_QUEUE_FULL`. */
  onFull?: 'wait' | 'reject';
  /** Ms between asking a running task to stop and terminating its worker. Default 1000. */
  grace?: number;
  /** V8 heap limits of each worker; a task that exceeds them fails with `ERR_TANDEM_WORKER_CRASHED`. */
  resourceLimits?: ResourceLimits;
  /** Extra `execArgv` for the workers (default: the parent's, as Node does). */
  execArgv?: string[];
  /**
   * Ms that starting may take (the workers load the task module). Past it, start fails with
   * `StartTimeoutError` (`ERR_TANDEM_START_TIMEOUT`) and nothing is left running. Default
   * 30 000; `Infinity` waits for ever.
   */
  startTimeout?: number;
  /** Abandons the start: it rejects with `signal.reason` and nothing is left running. */
  signal?: AbortSignal;
}

/** The options with every default filled in. */
export interface ResolvedPoolOptions {
  tasksUrl: string;
  threads: number;
  concurrentTasksPerWorker: number | 'auto';
  maxQueue: number;
  onFull: 'wait' | 'reject';
  grace: number;
  resourceLimits: ResourceLimits | undefined;
  execArgv: string[] | undefined;
  startTimeout: number;
}

/** More threads than this is a mistake (each is a V8 isolate of its own), not a setting. */
export const MAX_THREADS = 1024;
/** Tasks one worker may hold at once; each holds a slot of the shared state table. */
export const MAX_TASKS_PER_WORKER = 1024;
/** The longest queue a pool keeps (bounded memory is the point of `maxQueue`). */
export const MAX_QUEUE = 2 ** 24;

/** The default pool size: every core but one, at least one. */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

/**
 * Checks `options` and fills in defaults.
 *
 * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`), OutOfRangeError (`ERR_TANDEM_OUT_OF_RANGE`).
 */
export function resolvePoolOptions(options: WorkerPoolOptions): ResolvedPoolOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('Expected options to be an object with at least { tasks }');
  }
  const { tasks } = options;
  if (!(tasks instanceof URL) && typeof tasks !== 'string') {
    throw new InvalidArgumentError(
      "Expected options.tasks to be the task module's URL or path, e.g. new URL('./tasks.js', import.meta.url)",
    );
  }
  if (options.threads !== undefined) checkInteger('options.threads', options.threads, 1);
  checkAtMost('options.threads', options.threads, MAX_THREADS);
  const perWorker = options.concurrentTasksPerWorker;
  if (perWorker !== undefined && perWorker !== 'auto') {
    checkInteger('options.concurrentTasksPerWorker', perWorker, 1);
    checkAtMost('options.concurrentTasksPerWorker', perWorker, MAX_TASKS_PER_WORKER);
  }
  if (options.maxQueue !== undefined) checkInteger('options.maxQueue', options.maxQueue, 0);
  checkAtMost('options.maxQueue', options.maxQueue, MAX_QUEUE);
  checkOneOf('options.onFull', options.onFull, ['wait', 'reject']);
  checkDuration('options.grace', options.grace);
  checkDuration('options.startTimeout', options.startTimeout);
  checkSignal('options.signal', options.signal);
  checkResourceLimits(options.resourceLimits);
  checkExecArgv(options.execArgv);
  const threads = options.threads ?? defaultThreads();
  return {
    tasksUrl: tasks instanceof URL ? tasks.href : toUrl(tasks),
    threads,
    concurrentTasksPerWorker: options.concurrentTasksPerWorker ?? 'auto',
    maxQueue: options.maxQueue ?? 16 * threads,
    onFull: options.onFull ?? 'wait',
    grace: options.grace ?? 1000,
    resourceLimits: options.resourceLimits,
    execArgv: options.execArgv,
    startTimeout: options.startTimeout ?? 30_000,
  };
}

function checkAtMost(name: string, value: number | undefined, max: number): void {
  if (value !== undefined && value > max) {
    throw new OutOfRangeError(`Expected ${name} <= ${max}, got ${value}`);
  }
}

const limitKeys = [
  'maxOldGenerationSizeMb',
  'maxYoungGenerationSizeMb',
  'codeRangeSizeMb',
  'stackSizeMb',
] as const;

function checkResourceLimits(limits: unknown): void {
  if (limits === undefined) return;
  if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) {
    throw new InvalidArgumentError(
      `Expected options.resourceLimits to be an object such as { maxOldGenerationSizeMb: 256 }, got ${limits === null ? 'null' : typeof limits}`,
    );
  }
  for (const key of Object.keys(limits)) {
    if (!(limitKeys as readonly string[]).includes(key)) {
      throw new InvalidArgumentError(
        `Unknown options.resourceLimits.${key}; expected one of ${limitKeys.join(', ')}`,
      );
    }
    const value = (limits as Record<string, unknown>)[key];
    if (value !== undefined) checkNumber(`options.resourceLimits.${key}`, value, 1);
  }
}

function checkExecArgv(argv: unknown): void {
  if (argv === undefined) return;
  if (!Array.isArray(argv) || !argv.every((arg) => typeof arg === 'string')) {
    throw new InvalidArgumentError(
      "Expected options.execArgv to be an array of strings, e.g. ['--enable-source-maps']",
    );
  }
}

function toUrl(path: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(path) && !/^[a-z]:[\\/]/i.test(path)
    ? path
    : pathToFileURL(path).href;
}
