/**
 * `Engine`: the front end. It owns the worker pool, the services and the event-loop monitor,
 * and offers `run`, `map` and `service` typed by the task module.
 *
 * @module
 */
import {
  type MapOptions,
  type PoolStats,
  type RunOptions,
  Service,
  type TaskInput,
  type TaskModule,
  type TaskResult,
  type TasksOf,
  WorkerPool,
  type WorkerPoolOptions,
} from '@tandem/workers';
import { checkDuration, mapBatched } from '@tandem/workers/internal';
import { currentScope, type TaskInfo, tasks, trackTask } from './current-scope.js';
import { type LoopDelay, LoopDelayMonitor } from './diagnostics/loop-delay.js';
import { CancelledError } from './errors.js';
import { linkSignals } from './internal/link-signals.js';
import { type Scope, type ScopeOptions, scope } from './scope.js';
import { onShutdownSignals, type ShutdownSignal } from './shutdown-signals.js';

/** How an engine is built: the pool's options, plus the loop monitor and shutdown. */
export interface EngineOptions extends WorkerPoolOptions {
  /** Sampling interval of the event-loop delay monitor, in ms. Default 10. */
  loopDelayResolution?: number;
  /**
   * Shut down gracefully on these signals (e.g. `['SIGINT', 'SIGTERM']`): the first one calls
   * `engine.shutdown()`, a second one exits at once. Default: none (a library does not take
   * over the process's signals unless asked).
   */
  shutdownSignals?: readonly ShutdownSignal[];
  /** Ms that `shutdown()` lets in-flight work finish before destroying it. Default 10 000. */
  shutdownGrace?: number;
}

/** What `engine.stats()` returns: the pool and the loop. */
export interface EngineStats {
  pool: PoolStats;
  /** Event-loop delay since the engine started (or `resetLoopDelay()`), in ms. */
  loop: LoopDelay;
  services: number;
}

/** Per-item result of `map(…, { settle: true })`. */
export type Settled<Value> = PromiseSettledResult<Value>;

/**
 * The engine. Start one per process (or per job); close it when done.
 *
 * @example
 * import type tasks from './tasks.js';
 * await using engine = await Engine.start<typeof tasks>({ tasks: new URL('./tasks.js', import.meta.url) });
 * const n = await engine.run('wordCount', text, { timeout: 2_000 });
 * const counts = await engine.map('wordCount', texts, { batch: 64 });
 */
export class Engine<Module extends TaskModule = TaskModule> {
  readonly #pool: WorkerPool<TasksOf<Module>>;
  readonly #monitor: LoopDelayMonitor;
  readonly #services = new Set<Service<object>>();
  /** The root of the engine's scopes: `shutdown()` aborts it. */
  readonly #root = new AbortController();
  readonly #shutdownGrace: number;
  readonly #removeSignalHandlers: () => void;
  #closing: Promise<void> | undefined;

  /**
   * Starts the pool (workers load the task module) and the loop monitor.
   *
   * @throws TaskModuleLoadError (`ERR_TANDEM_TASK_MODULE_LOAD`), InvalidTaskModuleError
   * (`ERR_TANDEM_INVALID_TASK_MODULE`), option errors (`ERR_TANDEM_INVALID_ARGUMENT`,
   * `ERR_TANDEM_OUT_OF_RANGE`).
   */
  static async start<Module extends TaskModule = TaskModule>(
    options: EngineOptions,
  ): Promise<Engine<Module>> {
    checkDuration('options.shutdownGrace', options.shutdownGrace);
    const pool = await WorkerPool.start<TasksOf<Module>>(options);
    return new Engine<Module>(pool, options);
  }

  private constructor(pool: WorkerPool<TasksOf<Module>>, options: EngineOptions) {
    this.#pool = pool;
    this.#monitor = new LoopDelayMonitor(options.loopDelayResolution);
    this.#monitor.start();
    this.#shutdownGrace = options.shutdownGrace ?? 10_000;
    this.#removeSignalHandlers = onShutdownSignals(options.shutdownSignals ?? [], () =>
      this.shutdown(),
    );
  }

  /** Aborts when the engine shuts down; scopes opened with `engine.scope()` hang off it. */
  get signal(): AbortSignal {
    return this.#root.signal;
  }

  /** The pool, for what the engine does not wrap. */
  get pool(): WorkerPool<TasksOf<Module>> {
    return this.#pool;
  }

  /**
   * Runs one task in a worker. See `RunOptions` for `signal`, `timeout` (from start),
   * `deadline` (from now, queue time included), `transfer` and `onProgress`.
   *
   * Rejects with the task's own error (class, code, cause, props kept), `signal.reason`,
   * `TaskTimeoutError` (`ERR_TANDEM_TASK_TIMEOUT`), `WorkerCrashedError`
   * (`ERR_TANDEM_WORKER_CRASHED`), `UnknownTaskError`, `UncloneableInputError`,
   * `QueueFullError`, `PoolClosedError` or `PoolDestroyedError`.
   */
  run<Name extends keyof TasksOf<Module> & string>(
    name: Name,
    input: TaskInput<TasksOf<Module>[Name]>,
    options: RunOptions = {},
  ): Promise<TaskResult<TasksOf<Module>[Name]>> {
    const context = currentScope();
    // Outside a scope: straight to the pool, nothing tracked, nothing allocated.
    if (context === undefined) return this.#pool.run(name, input, options);
    const signal = options.signal ?? context.signal;
    const end = trackTask(name, signal);
    // The scope's deadline reaches the task through the scope's signal: the scope, not the
    // pool, decides that it expired (so the scope raises TimeoutError, and only it).
    return this.#pool.run(name, input, { ...options, signal }).then(
      (value) => {
        end('fulfilled');
        return value;
      },
      (error: unknown) => {
        end(signal.aborted ? 'cancelled' : 'rejected');
        throw error;
      },
    );
  }

  /**
   * Runs task `name` on every input, several per message, and resolves with the results in
   * input order. The first failing item rejects the map with `MapItemError`
   * (`ERR_TANDEM_MAP_ITEM_FAILED`, `.index`, `.cause`) after cancelling the rest; with
   * `settle: true` it resolves with one `PromiseSettledResult` per item instead.
   */
  map<Name extends keyof TasksOf<Module> & string>(
    name: Name,
    inputs: Iterable<TaskInput<TasksOf<Module>[Name]>>,
    options: MapOptions & { settle: true },
  ): Promise<Settled<TaskResult<TasksOf<Module>[Name]>>[]>;
  map<Name extends keyof TasksOf<Module> & string>(
    name: Name,
    inputs: Iterable<TaskInput<TasksOf<Module>[Name]>>,
    options?: MapOptions & { settle?: false | undefined },
  ): Promise<TaskResult<TasksOf<Module>[Name]>[]>;
  map(name: string, inputs: Iterable<unknown>, options: MapOptions = {}): Promise<unknown[]> {
    const context = currentScope();
    if (context === undefined) return mapBatched(this.#pool, name, inputs, options);
    const signal = options.signal ?? context.signal;
    const end = trackTask(`map ${name}`, signal);
    return mapBatched(this.#pool, name, inputs, { ...options, signal }).then(
      (values) => {
        end('fulfilled');
        return values;
      },
      (error: unknown) => {
        end(signal.aborted ? 'cancelled' : 'rejected');
        throw error;
      },
    );
  }

  /**
   * Runs `body` in a new scope (a task group): see `scope()`. `engine.run` and `engine.map`
   * inside it use its signal, so leaving, failing or timing out cancels the CPU work too.
   *
   * @example
   * await engine.scope({ timeout: 5_000 }, async (s) => {
   *   for (const page of pages) s.spawn(() => engine.run('render', page));
   * });
   */
  scope<T>(body: (scope: Scope) => T | PromiseLike<T>): Promise<T | undefined>;
  scope<T>(
    options: ScopeOptions,
    body: (scope: Scope) => T | PromiseLike<T>,
  ): Promise<T | undefined>;
  scope<T>(
    a: ScopeOptions | ((scope: Scope) => T | PromiseLike<T>),
    b?: (scope: Scope) => T | PromiseLike<T>,
  ): Promise<T | undefined> {
    const [options, body] = typeof a === 'function' ? [{}, a] : [a, b!];
    // The caller's own signal and the engine's both cancel the scope.
    const link = linkSignals(options.signal, this.#root.signal);
    return scope({ ...options, signal: link.signal }, body).finally(link.unlink);
  }

  /** The live tree of scopes and tasks (CPU tasks included), like `python -m asyncio pstree`. */
  tasks(): TaskInfo[] {
    return tasks();
  }

  /**
   * Starts a long-lived service in a worker of its own (see `Service`). The engine closes it
   * on `close()`.
   */
  async service<Api extends object>(module: URL | string): Promise<Service<Api>> {
    const service = await Service.start<Api>(module);
    this.#services.add(service as Service<object>);
    return service;
  }

  /** Pool counters and latencies, every option in force, and the event-loop delay. */
  stats(): EngineStats {
    return {
      pool: this.#pool.stats(),
      loop: this.#monitor.snapshot(),
      services: this.#services.size,
    };
  }

  /** Starts a fresh event-loop delay window (for measuring one phase). */
  resetLoopDelay(): void {
    this.#monitor.reset();
  }

  /**
   * Lets queued and running tasks finish (up to `timeout` ms, default 30 000; then what is left
   * is destroyed), closes the services and stops the monitor. Idempotent.
   */
  close(options: { timeout?: number } = {}): Promise<void> {
    this.#closing ??= this.#close(options);
    return this.#closing;
  }

  /**
   * The orderly stop (what the first SIGINT/SIGTERM does with `shutdownSignals`): new work is
   * refused, every scope opened with `engine.scope()` is cancelled with `CancelledError`
   * (`ERR_TANDEM_CANCELLED`), in-flight tasks get `shutdownGrace` ms to finish and are then
   * destroyed (`ERR_TANDEM_POOL_DESTROYED`). Idempotent; same promise as `close()`.
   */
  shutdown(): Promise<void> {
    if (!this.#root.signal.aborted) {
      this.#root.abort(
        new CancelledError('The engine is shutting down; stop and let this propagate.'),
      );
    }
    return this.close({ timeout: this.#shutdownGrace });
  }

  async #close(options: { timeout?: number }): Promise<void> {
    try {
      await this.#pool.close(options);
    } finally {
      await Promise.all([...this.#services].map((service) => service.close()));
      this.#monitor.stop();
      // Only now: a second signal during the close must still find the handler and force exit.
      this.#removeSignalHandlers();
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
