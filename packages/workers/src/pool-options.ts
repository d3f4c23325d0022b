/**
 * The options of a `WorkerPool`, their defaults and their checks.
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';
import { InvalidArgumentError } from './errors.js';
import { checkDuration, checkInteger, checkOneOf } from './validate.js';

/** How a pool is built. Every default is printed back by `pool.stats()`. */
export interface WorkerPoolOptions {
  /** The task module (`export default defineTasks({ … })`): a `file:` URL or a path. */
  tasks: URL | string;
  /** Worker threads. Default `max(1, os.availableParallelism() - 1)`: one core stays with the loop. */
  threads?: number;
  /**
   * Tasks a worker holds at once: one runs, the others wait inside the worker so that it never
   * idles between messages. Default `'auto'`: about 1 ms of work waits in each busy worker
   * (between 2 and 64 tasks, from the pool's completion rate), so tiny tasks stream and long
   * ones do not queue behind each other. A task waiting inside a worker is still cancelled at
   * once (it is skipped when reached); 1 gives the strictest fairness between workers.
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
}

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
  const perWorker = options.concurrentTasksPerWorker;
  if (perWorker !== undefined && perWorker !== 'auto') {
    checkInteger('options.concurrentTasksPerWorker', perWorker, 1);
  }
  if (options.maxQueue !== undefined) checkInteger('options.maxQueue', options.maxQueue, 0);
  checkOneOf('options.onFull', options.onFull, ['wait', 'reject']);
  checkDuration('options.grace', options.grace);
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
  };
}

function toUrl(path: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(path) && !/^[a-z]:[\\/]/i.test(path)
    ? path
    : pathToFileURL(path).href;
}
