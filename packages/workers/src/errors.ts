/**
 * Tandem's error catalogue. Every failure Tandem reports has its own class and a permanent
 * `code` (`ERR_TANDEM_…`): match on `error.code`, never on the message, which may change.
 * Every code is listed, with what to do about it, in `docs/errors.md`.
 *
 * @module
 */

const kTandemError = Symbol.for('tandem.error');

/** The base class of every error Tandem raises. `code` is permanent. */
export abstract class TandemError extends Error {
  abstract readonly code: `ERR_TANDEM_${string}`;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    // `name` is an own property so that it survives structured clone and `util.inspect`.
    Object.defineProperty(this, 'name', {
      value: new.target.name,
      configurable: true,
      writable: true,
    });
  }

  /** True for any Tandem error, including one made by another copy of this package. */
  static isTandemError(value: unknown): value is TandemError {
    return typeof value === 'object' && value !== null && kTandemError in value;
  }

  get [kTandemError](): true {
    return true;
  }
}

/** An argument or option of the wrong type. */
export class InvalidArgumentError extends TandemError {
  override readonly code = 'ERR_TANDEM_INVALID_ARGUMENT' as const;
}

/** A numeric option outside its range: `Expected options.concurrency >= 1, got 0`. */
export class OutOfRangeError extends TandemError {
  override readonly code = 'ERR_TANDEM_OUT_OF_RANGE' as const;
}

/** `run()` named a task that the task module does not define. */
export class UnknownTaskError extends TandemError {
  override readonly code = 'ERR_TANDEM_UNKNOWN_TASK' as const;
  readonly task: string;
  readonly known: readonly string[];
  /** `where`: set when one worker's module lacks a task that start() found (see worker-entry). */
  constructor(task: string, known: readonly string[], where?: string) {
    super(
      where === undefined
        ? `Unknown task "${task}". The task module defines: ${known.map((k) => `"${k}"`).join(', ') || '(none)'}. Check the name, or add it to defineTasks({ … }).`
        : `Unknown task "${task}" ${where}, whose task module defines: ${known.map((k) => `"${k}"`).join(', ') || '(none)'}. A task module must define the same tasks in every worker thread: do not choose them by threadId, environment or chance.`,
    );
    this.task = task;
    this.known = known;
  }
}

/** The input of a task holds something structured clone cannot copy (a function, a symbol…). */
export class UncloneableInputError extends TandemError {
  override readonly code = 'ERR_TANDEM_UNCLONEABLE_INPUT' as const;
  readonly task: string;
  readonly path: string;
  constructor(task: string, path: string, kind: string) {
    super(
      `The input of task "${task}" cannot be sent to a worker: ${path} is a ${kind}. Pass plain data (objects, arrays, strings, numbers, typed arrays, Map, Set, Date…).`,
    );
    this.task = task;
    this.path = path;
  }
}

/** The result of a task holds something structured clone cannot copy. */
export class UncloneableResultError extends TandemError {
  override readonly code = 'ERR_TANDEM_UNCLONEABLE_RESULT' as const;
  readonly task: string;
  readonly path: string;
  constructor(task: string, path: string, kind: string) {
    super(
      `The result of task "${task}" cannot be sent back from the worker: ${path} is a ${kind}. Return plain data.`,
    );
    this.task = task;
    this.path = path;
  }
}

/** A task ran past its `timeout` (counted from its start) or its `deadline` (counted from submit). */
export class TaskTimeoutError extends TandemError {
  override readonly code = 'ERR_TANDEM_TASK_TIMEOUT' as const;
  readonly task: string;
  /** The budget that ran out, in milliseconds. */
  readonly timeout: number;
  /** Which budget ran out: `timeout` counts from the start, `deadline` from the submit. */
  readonly kind: 'timeout' | 'deadline';
  constructor(task: string, timeout: number, kind: 'timeout' | 'deadline' = 'timeout') {
    super(
      kind === 'timeout'
        ? `Task "${task}" did not finish within ${timeout} ms of starting`
        : `Task "${task}" did not finish by its deadline (${timeout} ms after it was submitted)`,
    );
    this.task = task;
    this.timeout = timeout;
    this.kind = kind;
  }
}

/**
 * The worker running a task died: `process.exit()`, an uncaught exception (a throw from a
 * timer), out of memory under `resourceLimits`, or a failure to start. The worker has been
 * replaced and the rest of the queue goes on.
 */
export class WorkerCrashedError extends TandemError {
  override readonly code = 'ERR_TANDEM_WORKER_CRASHED' as const;
  readonly task: string;
  /** The worker's exit code, when it exited (undefined for an error event). */
  readonly exitCode: number | undefined;
  /**
   * `next` tells what happens after: a pool worker `'replaced'` (the default), or a service
   * that is `'closed'` (services are not restarted).
   */
  constructor(
    task: string,
    exitCode: number | undefined,
    options?: ErrorOptions & { next?: 'replaced' | 'closed' },
  ) {
    const how = exitCode === undefined ? 'crashed' : `exited with code ${exitCode}`;
    const next =
      options?.next === 'closed'
        ? 'The service is closed: start it again.'
        : 'The worker was replaced.';
    super(
      `The worker running task "${task}" ${how}. ${next} See error.cause for what it reported.`,
      options,
    );
    this.task = task;
    this.exitCode = exitCode;
  }
}

/**
 * The pool cannot keep workers alive: replacement workers keep dying before they can take a
 * task (a module that calls `process.exit()` at load, a `resourceLimits` too small to start).
 * Like Python's `BrokenProcessPool`: queued and later tasks reject with it; close the pool.
 */
export class PoolBrokenError extends TandemError {
  override readonly code = 'ERR_TANDEM_POOL_BROKEN' as const;
  constructor(reason: string, options?: ErrorOptions) {
    super(
      `The worker pool is broken: ${reason}. No task can run; fix the cause (see error.cause), close this pool and start a new one.`,
      options,
    );
  }
}

/** Starting a pool, engine or service took longer than its `startTimeout`. */
export class StartTimeoutError extends TandemError {
  override readonly code = 'ERR_TANDEM_START_TIMEOUT' as const;
  readonly timeout: number;
  /** `hint` replaces the usual cause (a task module that never finishes loading) for other starts. */
  constructor(what: string, timeout: number, hint?: string, options?: ErrorOptions) {
    super(
      `${what} did not start within ${timeout} ms (startTimeout). ${hint ?? 'A module whose top-level code never finishes (an await that never resolves, a blocking loop) is the usual cause; fix it, or raise startTimeout.'}`,
      options,
    );
    this.timeout = timeout;
  }
}

/** A task called `ctx.progress(value)` with a value structured clone cannot copy. */
export class UncloneableProgressError extends TandemError {
  override readonly code = 'ERR_TANDEM_UNCLONEABLE_PROGRESS' as const;
  readonly task: string;
  readonly path: string;
  constructor(task: string, path: string, kind: string) {
    super(
      `Task "${task}" called ctx.progress() with a value that cannot be sent: ${path} is a ${kind}. Send plain data.`,
    );
    this.task = task;
    this.path = path;
  }
}

/**
 * A callback the caller passed threw (`onProgress`, `retry`'s `retryIf`…). What it belonged
 * to is stopped (a task is cancelled, a retry gives up) and rejects with this error; `cause`
 * is what the callback threw.
 */
export class CallbackError extends TandemError {
  override readonly code = 'ERR_TANDEM_CALLBACK_FAILED' as const;
  readonly callback: string;
  constructor(callback: string, cause: unknown) {
    super(`Your ${callback} callback threw; see error.cause. What it belonged to was stopped.`, {
      cause,
    });
    this.callback = callback;
  }
}

/** The task module could not be loaded in the worker (syntax error, missing file, throw at import). */
export class TaskModuleLoadError extends TandemError {
  override readonly code = 'ERR_TANDEM_TASK_MODULE_LOAD' as const;
  readonly url: string;
  constructor(url: string, options?: ErrorOptions) {
    super(
      `The task module ${url} failed to load in the worker; see error.cause. Fix the module and start again.`,
      options,
    );
    this.url = url;
  }
}

/** The task module loaded but its default export is not `defineTasks({ … })`. */
export class InvalidTaskModuleError extends TandemError {
  override readonly code = 'ERR_TANDEM_INVALID_TASK_MODULE' as const;
  readonly url: string;
  constructor(url: string) {
    super(
      `The task module ${url} must \`export default defineTasks({ … })\` from '@tandem/workers'.`,
    );
    this.url = url;
  }
}

/** The pool's queue is full and the pool was built with `onFull: 'reject'`. */
export class QueueFullError extends TandemError {
  override readonly code = 'ERR_TANDEM_QUEUE_FULL' as const;
  readonly maxQueue: number;
  constructor(maxQueue: number) {
    super(
      `The task queue is full (maxQueue ${maxQueue}). Wait and retry, raise maxQueue, or use onFull: 'wait'.`,
    );
    this.maxQueue = maxQueue;
  }
}

/** A task was submitted after `close()` or `destroy()` began. */
export class PoolClosedError extends TandemError {
  override readonly code = 'ERR_TANDEM_POOL_CLOSED' as const;
  constructor() {
    super('The pool is closed: it takes no new tasks. Start a new engine or pool.');
  }
}

/** A task was still queued or running when the pool was destroyed (or `close()` ran out of time). */
export class PoolDestroyedError extends TandemError {
  override readonly code = 'ERR_TANDEM_POOL_DESTROYED' as const;
  readonly task: string;
  constructor(task: string) {
    super(`Task "${task}" did not finish: the pool was destroyed while it was queued or running.`);
    this.task = task;
  }
}

/** One item of `map()` failed; `index` says which, `cause` holds its error. */
export class MapItemError extends TandemError {
  override readonly code = 'ERR_TANDEM_MAP_ITEM_FAILED' as const;
  readonly task: string;
  readonly index: number;
  constructor(task: string, index: number, cause: unknown) {
    super(`Task "${task}" failed on item ${index}; see error.cause.`, { cause });
    this.task = task;
    this.index = index;
  }
}

/** A call on a service that was closed (or is closing). */
export class ServiceClosedError extends TandemError {
  override readonly code = 'ERR_TANDEM_SERVICE_CLOSED' as const;
  readonly service: string;
  constructor(service: string) {
    super(`The service ${service} is closed. Start it again with engine.service(…).`);
    this.service = service;
  }
}

/**
 * An error thrown in a worker whose class is not registered on this side. It keeps the
 * original `name`, `message`, `stack`, `code`, `cause`, `errors` and own properties.
 * Register the class with `registerError()` to get real instances instead.
 */
export class RemoteTaskError extends Error {
  /** The original error's `code`, if it had one. */
  code?: string;
  constructor(name: string, message: string) {
    super(message);
    Object.defineProperty(this, 'name', { value: name, configurable: true, writable: true });
  }
}
