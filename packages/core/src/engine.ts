/**
 * `Engine`: the front end. It owns the worker pool, the services and the event-loop monitor,
 * and offers `run`, `map` and `service` typed by the task module.
 *
 * @module
 */
import {
  clock,
  type MapOptions,
  PoolClosedError,
  type PoolStats,
  type RunOptions,
  type Service,
  type ServiceStartOptions,
  type TaskBackend,
  type TaskInput,
  type TaskModule,
  type TaskResult,
  type TasksOf,
  WorkerPool,
} from '@tandem/workers';
import { checkDuration, checkSignal, mapBatched } from '@tandem/workers/internal';
import {
  currentScope,
  type ScopeContext,
  type TaskInfo,
  tasks,
  trackTask,
} from './current-scope.js';
import { type LoopDelay, LoopDelayMonitor } from './diagnostics/loop-delay.js';
import { checkIterable, checkTaskName, scopeArguments } from './engine-arguments.js';
import {
  type BackendEngineOptions,
  type EngineOptions,
  type LocalEngineOptions,
  type ResolvedEngineOptions,
  resolveEngineOptions,
} from './engine-options.js';
import { EngineServices } from './engine-services.js';
import { CancelledError } from './errors.js';
import { linkSignals } from './internal/link-signals.js';
import type { PipelineHost } from './internal/pipeline/run.js';
import { readOptions } from './internal/read-options.js';
import { Pipeline } from './pipeline.js';
import { checkPipelineOptions, checkSource, type PipelineOptions } from './pipeline-options.js';
import { type Scope, type ScopeOptions, scope } from './scope.js';
import { onShutdownSignals, type ShutdownSignal } from './shutdown-signals.js';

export type {
  BackendEngineOptions,
  EngineOptions,
  EngineOwnOptions,
  LocalEngineOptions,
} from './engine-options.js';

/**
 * What `engine.stats()` returns. Every option in force is printed, defaults included: the
 * pool's in `pool`, the engine's own in `engine`.
 */
export interface EngineStats {
  pool: PoolStats;
  /** The engine's options in force (defaults: 10, `[]`, 10 000 and 30 000). */
  engine: {
    loopDelayResolution: number;
    shutdownSignals: readonly ShutdownSignal[];
    shutdownGrace: number;
    /** The `startTimeout` the engine (its pool) was started with. */
    startTimeout: number;
  };
  /** Event-loop delay since the engine started (or `resetLoopDelay()`), in ms. */
  loop: LoopDelay;
  /** Services started with `engine.service()` and not closed yet. */
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
export class Engine<
  Module extends TaskModule = TaskModule,
  Pool extends TaskBackend<TasksOf<Module>> = WorkerPool<TasksOf<Module>>,
> {
  readonly #pool: Pool;
  readonly #monitor: LoopDelayMonitor;
  readonly #options: ResolvedEngineOptions;
  readonly #services = new EngineServices(() => this.#closing !== undefined);
  /** The root of the engine's scopes: `shutdown()` aborts it. */
  readonly #root = new AbortController();
  readonly #removeSignalHandlers: () => void;
  /** Pipeline runs under way: `close()` drains them before closing the pool. */
  readonly #pipelines = new Set<{ drain(grace: number): Promise<void> }>();
  #closing: Promise<void> | undefined;

  /**
   * Checks every option, then starts the pool (workers load the task module) and the loop
   * monitor. `options` is read once (its own enumerable properties). A start that fails leaves
   * nothing running: options are checked before anything starts, and a pool that fails to
   * start is ended by the pool itself.
   *
   * `startTimeout` (default 30 000 ms, `Infinity` waits for ever) and `signal` bound the
   * start: past the timeout it rejects with `StartTimeoutError`, on abort with
   * `signal.reason`.
   *
   * With `backend` (e.g. `bullmq({ connection, queue })` from `@tandem/bullmq`) the tasks run
   * wherever the backend runs them; `run`, `map`, scopes and pipelines work unchanged, and
   * `engine.pool` is the backend.
   *
   * @throws TaskModuleLoadError (`ERR_TANDEM_TASK_MODULE_LOAD`), InvalidTaskModuleError
   * (`ERR_TANDEM_INVALID_TASK_MODULE`), StartTimeoutError (`ERR_TANDEM_START_TIMEOUT`),
   * option errors (`ERR_TANDEM_INVALID_ARGUMENT`, `ERR_TANDEM_OUT_OF_RANGE`), `signal.reason`,
   * and whatever the backend's start throws.
   */
  static async start<Module extends TaskModule = TaskModule>(
    options: LocalEngineOptions,
  ): Promise<Engine<Module>>;
  static async start<Module extends TaskModule = TaskModule>(
    options: BackendEngineOptions<Module>,
  ): Promise<Engine<Module, TaskBackend<TasksOf<Module>>>>;
  static async start<Module extends TaskModule = TaskModule>(
    options: EngineOptions,
  ): Promise<Engine<Module, TaskBackend<TasksOf<Module>>>>;
  static async start<Module extends TaskModule = TaskModule>(
    options: EngineOptions,
  ): Promise<Engine<Module, TaskBackend<TasksOf<Module>>>> {
    const resolved = resolveEngineOptions(options);
    const monitor = new LoopDelayMonitor(resolved.loopDelayResolution);
    const { backend, pool: poolOptions } = resolved;
    const pool = backend
      ? ((await backend.start({
          startTimeout: poolOptions.startTimeout ?? DEFAULT_START_TIMEOUT,
          signal: poolOptions.signal,
          maxQueue: poolOptions.maxQueue,
          onFull: poolOptions.onFull,
        })) as TaskBackend<TasksOf<Module>>)
      : await WorkerPool.start<TasksOf<Module>>(poolOptions);
    // Nothing from here on can fail (every option was checked above): the pool cannot leak.
    return new Engine<Module, TaskBackend<TasksOf<Module>>>(pool, monitor, resolved);
  }

  private constructor(pool: Pool, monitor: LoopDelayMonitor, options: ResolvedEngineOptions) {
    this.#pool = pool;
    this.#monitor = monitor;
    this.#options = options;
    monitor.start();
    this.#removeSignalHandlers = onShutdownSignals(options.shutdownSignals, () => this.shutdown());
  }

  /** Aborts when the engine shuts down; scopes opened with `engine.scope()` hang off it. */
  get signal(): AbortSignal {
    return this.#root.signal;
  }

  /** The pool (or the backend), for what the engine does not wrap. */
  get pool(): Pool {
    return this.#pool;
  }

  /**
   * Runs one task in a worker. See `RunOptions` for `signal`, `timeout` (from start),
   * `deadline` (from now, queue time included), `transfer` and `onProgress`; `options` is read
   * once. Inside a scope the task is also cancelled by the scope (its cancel, failure or
   * deadline): a `signal` given here joins the scope's, it does not replace it.
   *
   * Never throws: every failure is a rejection, with the task's own error (class, code, cause,
   * props kept), `signal.reason`, `TaskTimeoutError` (`ERR_TANDEM_TASK_TIMEOUT`),
   * `WorkerCrashedError` (`ERR_TANDEM_WORKER_CRASHED`), `UnknownTaskError`,
   * `UncloneableInputError`, `QueueFullError`, `PoolClosedError`, `PoolDestroyedError`, or
   * `InvalidArgumentError` for a name that is not a string or options that are not an object.
   */
  run<Name extends keyof TasksOf<Module> & string>(
    name: Name,
    input: TaskInput<TasksOf<Module>[Name]>,
    options?: RunOptions,
  ): Promise<TaskResult<TasksOf<Module>[Name]>> {
    let read: RunOptions;
    try {
      checkTaskName(name);
      read = readOptions('options', options);
      checkSignal('options.signal', read.signal);
    } catch (error) {
      return Promise.reject(error);
    }
    const context = currentScope();
    // Outside a scope: straight to the pool, nothing tracked.
    if (context === undefined) return this.#pool.run(name, input, read);
    return this.#inScope(name, context, read.signal, (signal) =>
      this.#pool.run(name, input, { ...read, signal }),
    );
  }

  /**
   * Runs task `name` on every input, several per message, and resolves with the results in
   * input order. The first failing item rejects the map with `MapItemError`
   * (`ERR_TANDEM_MAP_ITEM_FAILED`, `.index`, `.cause`) after cancelling the rest; with
   * `settle: true` it resolves with one `PromiseSettledResult` per item instead. Inside a
   * scope, as with `run`, a `signal` given here joins the scope's.
   *
   * Rejects with `InvalidArgumentError` (`ERR_TANDEM_INVALID_ARGUMENT`) when `inputs` is not
   * iterable or `name` is not a string; never throws.
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
  map(name: string, inputs: Iterable<unknown>, options?: MapOptions): Promise<unknown[]> {
    let read: MapOptions;
    try {
      checkTaskName(name);
      checkIterable(inputs);
      read = readOptions('options', options);
      checkSignal('options.signal', read.signal);
    } catch (error) {
      return Promise.reject(error);
    }
    const context = currentScope();
    if (context === undefined) return mapBatched(this.#pool, name, inputs, read);
    return this.#inScope(`map ${name}`, context, read.signal, (signal) =>
      mapBatched(this.#pool, name, inputs, { ...read, signal }),
    );
  }

  /**
   * Runs `start(signal)` as a CPU node of the running scope, with `signal` aborting when the
   * scope's does or the caller's own does, and unlinked from both once it settles.
   */
  #inScope<T>(
    name: string,
    context: ScopeContext,
    own: AbortSignal | undefined,
    start: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    // The scope's deadline reaches the task through the scope's signal: the scope, not the
    // pool, decides that it expired (so the scope raises TimeoutError, and only it).
    const link = linkSignals(own, context.signal);
    const end = trackTask(name, link.signal);
    return start(link.signal).then(
      (value) => {
        link.unlink();
        end('fulfilled');
        return value;
      },
      (error: unknown) => {
        link.unlink();
        end(link.signal.aborted ? 'cancelled' : 'rejected');
        throw error;
      },
    );
  }

  /**
   * A pipeline over `source` (an iterable or async iterable, read lazily): add stages, then
   * run it with a sink (`toFile`, `collect`, `run`, `for await`). See `Pipeline` and the
   * pipeline guide (docs/pipeline.md). `options.total` defaults to the source's `length` or
   * `size` when it has one.
   *
   * While a run is under way, `close()` and `shutdown()` drain it first: intake stops, items
   * read but not begun by any stage are left (for a resumed run), in-flight items get the close's timeout (`shutdownGrace` on shutdown) to finish, and the
   * run resolves with `interrupted: true`. A run started once the engine is closing rejects
   * with `PoolClosedError` (`ERR_TANDEM_POOL_CLOSED`).
   *
   * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`), OutOfRangeError
   * (`ERR_TANDEM_OUT_OF_RANGE`) for a source that is not iterable or bad options, at once.
   *
   * @example
   * const report = await engine
   *   .pipeline(urls, { onError: 'skip' })
   *   .io((url, { signal }) => fetch(url, { signal }).then((r) => r.text()), { concurrency: 16 })
   *   .cpu('wordCount')
   *   .toFile('out/counts.ndjson');
   */
  pipeline<T>(
    source: Iterable<T> | AsyncIterable<T>,
    options?: PipelineOptions<T>,
  ): Pipeline<T, Module> {
    checkSource(source);
    const checked = checkPipelineOptions(options as PipelineOptions<unknown> | undefined);
    const total = checked.total ?? sizeOf(source);
    return new Pipeline<T, Module>(this.#pipelineHost(), source, { ...checked, total });
  }

  #pipelineHost(): PipelineHost {
    return {
      threads: this.#pool.threads,
      taskNames: this.#pool.taskNames,
      cpu: (name, inputs) =>
        this.map(name as never, inputs as never, { settle: true, batch: inputs.length }),
      attach: (run) => {
        if (this.#closing !== undefined) throw new PoolClosedError();
        this.#pipelines.add(run);
        return () => this.#pipelines.delete(run);
      },
    };
  }

  /**
   * Runs `body` in a new scope (a task group): see `scope()`. `engine.run` and `engine.map`
   * inside it use its signal, so leaving, failing or timing out cancels the CPU work too.
   * Options come first: `engine.scope(body, options)` is refused with `InvalidArgumentError`
   * (`ERR_TANDEM_INVALID_ARGUMENT`) rather than silently ignoring the options.
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
    let options: ScopeOptions;
    let body: (scope: Scope) => T | PromiseLike<T>;
    try {
      [options, body] = scopeArguments(a, b);
    } catch (error) {
      return Promise.reject(error);
    }
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
   * on `close()`; once closed (by you or by `close()`) it no longer counts in
   * `stats().services`.
   *
   * `signal` abandons the start (rejects with `signal.reason`); `startTimeout` bounds it as
   * for `Engine.start`.
   *
   * @throws PoolClosedError (`ERR_TANDEM_POOL_CLOSED`) once `close()` or `shutdown()` has
   * begun: nothing is started, and a service still starting then is closed by `close()`.
   * TaskModuleLoadError (`ERR_TANDEM_TASK_MODULE_LOAD`), option errors
   * (`ERR_TANDEM_INVALID_ARGUMENT`, `ERR_TANDEM_OUT_OF_RANGE`).
   */
  service<Api extends object>(
    module: URL | string,
    options?: ServiceStartOptions,
  ): Promise<Service<Api>> {
    return this.#services.start<Api>(module, options);
  }

  /**
   * Pool counters and latencies, the event-loop delay, and every option in force: the pool's
   * (`pool`: `size`, `concurrentTasksPerWorker`, `maxQueue`, `onFull`, `grace`) and the
   * engine's (`engine`: `loopDelayResolution`, `shutdownSignals`, `shutdownGrace`,
   * `startTimeout`), defaults included.
   */
  stats(): EngineStats {
    const { loopDelayResolution, shutdownSignals, shutdownGrace } = this.#options;
    return {
      pool: this.#pool.stats(),
      engine: {
        loopDelayResolution,
        shutdownSignals,
        shutdownGrace,
        startTimeout: this.#pool.startTimeout,
      },
      loop: this.#monitor.snapshot(),
      services: this.#services.size,
    };
  }

  /** Starts a fresh event-loop delay window (for measuring one phase). */
  resetLoopDelay(): void {
    this.#monitor.reset();
  }

  /**
   * Lets queued and running tasks finish (up to `timeout` ms, default 30 000, `Infinity` for
   * ever; then what is left is destroyed), closes the services (and those still starting)
   * and stops the monitor. New work is refused from the first call on. Idempotent: later
   * calls return the same promise, whatever their options.
   *
   * A bad argument (`timeout` not a number >= 0, options not an object) rejects that call
   * only, with `InvalidArgumentError` (`ERR_TANDEM_INVALID_ARGUMENT`) or `OutOfRangeError`
   * (`ERR_TANDEM_OUT_OF_RANGE`), and changes nothing.
   */
  close(options?: { timeout?: number }): Promise<void> {
    let timeout: number | undefined;
    try {
      timeout = readOptions('options', options).timeout;
      checkDuration('options.timeout', timeout);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#closing ??= this.#close(timeout);
    return this.#closing;
  }

  /**
   * The orderly stop (what the first SIGINT/SIGTERM does with `shutdownSignals`): new work is
   * refused, every scope opened with `engine.scope()` is cancelled with `CancelledError`
   * (`ERR_TANDEM_CANCELLED`), in-flight tasks get `shutdownGrace` ms to finish and are then
   * destroyed (`ERR_TANDEM_POOL_DESTROYED`). Idempotent; same promise as `close()` (a
   * `close()` already under way keeps its own timeout).
   */
  shutdown(): Promise<void> {
    if (!this.#root.signal.aborted) {
      this.#root.abort(
        new CancelledError('The engine is shutting down; stop and let this propagate.'),
      );
    }
    // Pipelines drain within the grace even when a close() with a longer timeout is under way
    // (here rather than a listener per run on the root signal: many runs would warn).
    for (const run of this.#pipelines) void run.drain(this.#options.shutdownGrace);
    return this.close({ timeout: this.#options.shutdownGrace });
  }

  async #close(timeout: number | undefined): Promise<void> {
    try {
      // Pipelines first: their in-flight items still need the pool to finish.
      const grace = timeout ?? DEFAULT_CLOSE_TIMEOUT;
      const started = clock().now();
      await Promise.all([...this.#pipelines].map((run) => run.drain(grace)));
      const left = Math.max(0, grace - (clock().now() - started));
      await this.#pool.close({ timeout: left });
    } finally {
      await this.#services.close();
      this.#monitor.stop();
      // Only now: a second signal during the close must still find the handler and force exit.
      this.#removeSignalHandlers();
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The pool's default `startTimeout`, given to a backend too. */
const DEFAULT_START_TIMEOUT = 30_000;

/** `close()`'s default timeout, the pool's own. */
const DEFAULT_CLOSE_TIMEOUT = 30_000;

/** The size of a source that knows it (an array's length, a Set's size). */
function sizeOf(source: object): number | undefined {
  try {
    const { length, size } = source as { length?: unknown; size?: unknown };
    const n = Array.isArray(source) ? length : size;
    return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
