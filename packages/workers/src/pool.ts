/**
 * `WorkerPool`: a fixed set of worker threads over Piscina, with a bounded queue of its own in
 * front (so that it knows, for every task, whether it is queued, waiting inside a worker or
 * running), cancellation that reaches running work, crash recovery and coded errors. This
 * file is the task lifecycle: submit, dispatch, answer, cancel, settle. The queue is in
 * `admission.ts`, result-after-progress ordering in `progress-order.ts`, the control ports in
 * `worker-controls.ts`.
 *
 * @module
 */
import { AsyncResource } from 'node:async_hooks';
import { Piscina } from 'piscina';
import { AdmissionQueue } from './admission.js';
import { Balancer } from './balancer.js';
import { clock } from './clock.js';
import { deserializeError } from './codec.js';
import type { TaskInput, TaskMap, TaskResult } from './define.js';
import { DispatchDepth, MAX_AUTO_DEPTH } from './dispatch-depth.js';
import {
  CallbackError,
  InvalidArgumentError,
  PoolBrokenError,
  PoolClosedError,
  PoolDestroyedError,
  QueueFullError,
  StartTimeoutError,
  TaskModuleLoadError,
  TaskTimeoutError,
  UncloneableInputError,
  UnknownTaskError,
  WorkerCrashedError,
} from './errors.js';
import { AbortFanout } from './internal/abort-fanout.js';
import { type Deferred, deferred } from './internal/deferred.js';
import { verdictOnLostWorker } from './lost-worker.js';
import {
  type ResolvedPoolOptions,
  resolvePoolOptions,
  type WorkerPoolOptions,
} from './pool-options.js';
import { type PoolStats, StatsRecorder } from './pool-stats.js';
import { ProgressOrder } from './progress-order.js';
import {
  type Envelope,
  isEnvelope,
  Mode,
  SlotState,
  type TaskMessage,
  ToLoop,
  type WorkerBootData,
} from './protocol.js';
import { SlotTable } from './slot-table.js';
import { strayErrorChannel } from './stray-errors.js';
import { newTaskRecord, type TaskRecord } from './task-record.js';
import { startTimer } from './timer.js';
import { inspectValue } from './transfer.js';
import { checkDuration, checkFunction, checkSignal } from './validate.js';
import { type ControlMessage, WorkerControls } from './worker-controls.js';

const entryUrl = new URL('./worker-entry.js', import.meta.url);

/** Workers in a row that die before loading the task module: the pool is broken. */
const MAX_START_FAILURES = 3;

/** On a crashed batch, the index of the item that was running (for `map`'s `MapItemError`). */
export const kBatchItem = Symbol('tandem.batchItem');

/** Options of one `run()`. */
export interface RunOptions {
  /** Cancels the task: a queued task never starts; a running one sees `ctx.signal` abort. */
  signal?: AbortSignal | undefined;
  /** Ms the task may run, counted from the moment a worker starts it. `Infinity`: no limit. */
  timeout?: number | undefined;
  /**
   * Ms the task may take in all, counted from this call (queue time included). With
   * `timeout` too, whichever runs out first ends the task.
   */
  deadline?: number | undefined;
  /** Move the ArrayBuffers found in `input` instead of copying them; the caller loses them. */
  transfer?: boolean | undefined;
  /**
   * Receives each `ctx.progress(value)` of the task, in the caller's async context, never
   * after the task settled. If it throws, the task is cancelled and rejects with
   * `CallbackError` (`ERR_TANDEM_CALLBACK_FAILED`, the throw as `cause`).
   */
  onProgress?: ((value: unknown) => void) | undefined;
}

/** The batching entry used by `map`: `items` run in one worker, in order (set below). */
export let runBatch: (
  pool: WorkerPool,
  name: string,
  items: unknown[],
  options: RunOptions,
) => Promise<unknown>;

/**
 * A pool of worker threads that run the tasks of one task module.
 *
 * Every `run()` settles: with the task's result, its error (rebuilt with its class, code,
 * cause and properties), `signal.reason` when cancelled, `TaskTimeoutError`,
 * `WorkerCrashedError` when its worker dies, `PoolBrokenError` when no worker can be kept
 * alive, or `PoolDestroyedError`.
 *
 * @example
 * await using pool = await WorkerPool.start<typeof tasks>({ tasks: new URL('./tasks.js', import.meta.url) });
 * const n = await pool.run('wordCount', text, { timeout: 2_000 });
 */
export class WorkerPool<Tasks extends TaskMap = TaskMap> {
  static {
    runBatch = (pool, name, items, options) => {
      try {
        return pool.#submit(name, items, Mode.batch, options);
      } catch (error) {
        return Promise.reject(error);
      }
    };
  }

  readonly options: ResolvedPoolOptions;
  readonly #piscina: Piscina;
  readonly #slots: SlotTable;
  readonly #depth: DispatchDepth;
  readonly #balancer: Balancer;
  readonly #admission: AdmissionQueue;
  /** Tasks handed to workers, by slot. */
  readonly #bySlot: (TaskRecord | undefined)[] = [];
  readonly #controls: WorkerControls;
  readonly #progress: ProgressOrder;
  readonly #aborts = new AbortFanout<TaskRecord>((record, reason) =>
    this.#cancel(record, reason, SlotState.cancelled),
  );
  readonly #stats = new StatsRecorder();
  #known = new Set<string>();
  #nextId = 1;
  #inWorkers = 0;
  #unsettled = 0;
  #startFailures = 0;
  #broken: PoolBrokenError | undefined;
  #idle: Deferred<void> | undefined;
  #closing: Promise<void> | undefined;
  #destroyed = false;
  #piscinaDown: Promise<void> | undefined;

  /**
   * Starts the workers and loads the task module in them.
   *
   * @throws TaskModuleLoadError (`ERR_TANDEM_TASK_MODULE_LOAD`) when the module fails to load
   * (or ends its worker while loading), InvalidTaskModuleError
   * (`ERR_TANDEM_INVALID_TASK_MODULE`) when it does not default-export `defineTasks({ … })`,
   * StartTimeoutError (`ERR_TANDEM_START_TIMEOUT`) past `startTimeout`, `signal.reason`, and
   * option errors (`ERR_TANDEM_INVALID_ARGUMENT`, `ERR_TANDEM_OUT_OF_RANGE`). Nothing is left
   * running when it throws.
   */
  static async start<Tasks extends TaskMap = TaskMap>(
    options: WorkerPoolOptions,
  ): Promise<WorkerPool<Tasks>> {
    const resolved = resolvePoolOptions(options);
    const signal = options.signal;
    signal?.throwIfAborted();
    const pool = new WorkerPool<Tasks>(resolved);
    const gaveUp = deferred<never>();
    const timer = startTimer(resolved.startTimeout, () =>
      gaveUp.reject(new StartTimeoutError('The worker pool', resolved.startTimeout)),
    );
    const onAbort = () => gaveUp.reject(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const describe = pool.#piscina.run([0, -1, '', undefined, Mode.describe]);
      describe.catch(() => {}); // it may lose the race below; its failure is read there only
      pool.#known = new Set((await Promise.race([describe, gaveUp.promise])) as string[]);
    } catch (failure) {
      const broken = pool.#broken;
      await pool.destroy();
      if (signal?.aborted && failure === signal.reason) throw failure;
      throw startFailure(broken?.cause ?? failure, resolved.tasksUrl);
    } finally {
      timer.cancel();
      signal?.removeEventListener('abort', onAbort);
    }
    return pool;
  }

  private constructor(options: ResolvedPoolOptions) {
    this.options = options;
    this.#depth = new DispatchDepth(options.threads, options.concurrentTasksPerWorker);
    const maxPerWorker =
      options.concurrentTasksPerWorker === 'auto'
        ? MAX_AUTO_DEPTH
        : options.concurrentTasksPerWorker;
    this.#slots = new SlotTable(options.threads * maxPerWorker);
    this.#admission = new AdmissionQueue(options.maxQueue);
    this.#balancer = new Balancer(maxPerWorker);
    const workerData: WorkerBootData = { tasksUrl: options.tasksUrl, states: this.#slots.buffer };
    this.#piscina = new Piscina({
      filename: entryUrl.href,
      minThreads: options.threads,
      maxThreads: options.threads,
      concurrentTasksPerWorker: maxPerWorker,
      idleTimeout: Number.POSITIVE_INFINITY,
      recordTiming: false,
      loadBalancer: this.#balancer.pick,
      workerData,
      ...(options.resourceLimits && { resourceLimits: options.resourceLimits }),
      ...(options.execArgv && { execArgv: options.execArgv }),
    });
    this.#controls = new WorkerControls(
      this.#piscina,
      (message, threadId) => this.#onControl(message, threadId),
      (threadId, code, loaded) => this.#onWorkerExit(threadId, code, loaded),
    );
    this.#progress = new ProgressOrder(this.#controls);
    // Without a listener Piscina would throw the error of an idle worker into the process;
    // its exit is counted in `workersReplaced`.
    this.#piscina.on('error', () => {});
  }

  /** Names of the tasks the module defines. */
  get taskNames(): string[] {
    return [...this.#known];
  }

  /**
   * Runs task `name` on `input` in a worker.
   *
   * @throws (as a rejection) UnknownTaskError, UncloneableInputError, PoolClosedError,
   * PoolBrokenError, QueueFullError (with `onFull: 'reject'`), and option errors; nothing is
   * queued when these are thrown.
   */
  run<Name extends keyof Tasks & string>(
    name: Name,
    input: TaskInput<Tasks[Name]>,
    options: RunOptions = {},
  ): Promise<TaskResult<Tasks[Name]>> {
    try {
      return this.#submit(name, input, 0, options) as Promise<TaskResult<Tasks[Name]>>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #submit(name: string, input: unknown, mode: number, options: RunOptions): Promise<unknown> {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`Expected options to be an object, got ${options}`);
    }
    const { signal, timeout, deadline, transfer, onProgress } = options;
    checkSignal('options.signal', signal);
    checkDuration('options.timeout', timeout);
    checkDuration('options.deadline', deadline);
    if (onProgress !== undefined) checkFunction('options.onProgress', onProgress);
    if (transfer !== undefined && typeof transfer !== 'boolean') {
      throw new InvalidArgumentError(
        `Expected options.transfer to be a boolean, got ${typeof transfer}`,
      );
    }
    if (typeof name !== 'string') {
      throw new InvalidArgumentError(`Expected the task name to be a string, got ${typeof name}`);
    }
    signal?.throwIfAborted();
    if (this.#broken !== undefined) throw this.#broken;
    if (this.#closing !== undefined || this.#destroyed) throw new PoolClosedError();
    if (!this.#known.has(name)) throw new UnknownTaskError(name, this.taskNames);
    const { problem, transferList } = inspectValue(input, transfer === true);
    if (problem !== undefined) throw new UncloneableInputError(name, problem.path, problem.kind);
    const full = this.#admission.isFull(this.#workerHasRoom());
    if (full && this.options.onFull === 'reject') throw new QueueFullError(this.options.maxQueue);

    const record = newTaskRecord(this.#nextId++, name, input, mode, clock().now());
    record.transferList = transferList;
    record.timeout = timeout;
    // Progress arrives from a port's event: run the callback where the caller called run().
    if (onProgress !== undefined) record.onProgress = AsyncResource.bind(onProgress);
    if (timeout !== undefined) record.mode |= Mode.reportStart;
    this.#unsettled++;
    if (signal !== undefined) record.unlisten = this.#aborts.subscribe(signal, record);
    if (deadline !== undefined) {
      record.deadlineTimer = startTimer(deadline, () =>
        this.#cancel(record, new TaskTimeoutError(name, deadline, 'deadline'), SlotState.timedOut),
      );
    }
    if (!full && this.#admission.canBypass(this.#workerHasRoom())) this.#dispatch(record);
    else this.#admission.push(record, full);
    return record.caller.promise;
  }

  #workerHasRoom(): boolean {
    return this.#inWorkers < this.#depth.capacity;
  }

  /** Hands queued tasks to workers while they have room, and admits waiting callers. */
  #pump(): void {
    if (this.#broken !== undefined || this.#destroyed) return;
    while (this.#workerHasRoom()) {
      const next = this.#admission.shift();
      if (next === undefined) break;
      this.#dispatch(next);
    }
    this.#admission.admit(this.#workerHasRoom());
  }

  #dispatch(record: TaskRecord): void {
    const slot = this.#slots.acquire();
    record.slot = slot;
    record.where = 'worker';
    record.dispatchedAt = clock().now();
    this.#stats.recordWait(record.dispatchedAt - record.submittedAt);
    this.#bySlot[slot] = record;
    this.#inWorkers++;
    const message: TaskMessage = [record.id, slot, record.name, record.input, record.mode];
    this.#piscina.run(message, { transferList: record.transferList }).then(
      (value) => this.#onWorkerResult(record, value),
      (failure) => this.#onWorkerFailure(record, failure),
    );
  }

  #onWorkerResult(record: TaskRecord, value: unknown): void {
    const owner = this.#slots.owner(record.slot);
    const progressSent = this.#slots.progressSent(record.slot);
    this.#leaveWorker(record);
    if (this.#settledAlready(record)) return;
    this.#progress.settleAfter(record, owner, progressSent, () => {
      this.#stats.completed++;
      this.#settle(record, true, value);
    });
  }

  #onWorkerFailure(record: TaskRecord, failure: unknown): void {
    const { slot } = record;
    const state = this.#slots.state(slot);
    const owner = this.#slots.owner(slot);
    const progressSent = this.#slots.progressSent(slot);
    const item = this.#slots.item(slot);
    this.#leaveWorker(record);
    if (this.#settledAlready(record)) return;
    if (isEnvelope(failure)) {
      this.#onEnvelope(record, failure, owner, progressSent);
      return;
    }
    const verdict = verdictOnLostWorker(
      {
        name: record.name,
        state,
        redispatches: record.redispatches,
        transferred: record.transferList.length > 0,
        exitCode: this.#controls.exitCode(owner),
        broken: this.#broken,
        destroyed: this.#destroyed,
      },
      failure,
    );
    if (verdict === 'again') {
      this.#redispatch(record);
      return;
    }
    if (verdict.crash) {
      this.#stats.failed++;
      this.#stats.crashed++;
      // map() names the item of a batch that was running when the worker died.
      if (record.mode & Mode.batch)
        Object.defineProperty(verdict.error, kBatchItem, { value: item });
    }
    this.#settle(record, false, verdict.error);
  }

  /** A task cancelled or settled while in its worker: only its bookkeeping is left. */
  #settledAlready(record: TaskRecord): boolean {
    if (record.caller.settled) this.#maybeIdle(record);
    else if (record.reason !== undefined) this.#settle(record, false, record.reason);
    else return false;
    return true;
  }

  #onEnvelope(record: TaskRecord, envelope: Envelope, owner: number, progressSent: number): void {
    if (envelope.__tandem === 'skipped') {
      // The worker skipped a task the loop never cancelled: the slot changed under it. It
      // never ran, so it is safe to run it again.
      this.#redispatch(record);
    } else if (envelope.__tandem === 'crashed') {
      // The task's own code threw outside it (a timer): the worker lives on, this task fails.
      this.#stats.failed++;
      this.#stats.crashed++;
      this.#retire(owner);
      const cause = deserializeError(envelope.error);
      this.#settle(record, false, new WorkerCrashedError(record.name, undefined, { cause }));
    } else {
      const error = deserializeError(envelope.error);
      this.#progress.settleAfter(record, owner, progressSent, () => {
        this.#stats.failed++;
        this.#settle(record, false, error);
      });
    }
  }

  #redispatch(record: TaskRecord): void {
    record.redispatches++;
    this.#admission.unshift(record);
    this.#pump();
  }

  #leaveWorker(record: TaskRecord): void {
    this.#stats.recordRun(clock().now() - record.dispatchedAt);
    this.#depth.onCompletion(this.#admission.size > 0 || !this.#workerHasRoom());
    this.#bySlot[record.slot] = undefined;
    this.#slots.release(record.slot);
    this.#inWorkers--;
    record.graceTimer?.cancel();
    record.where = 'done';
    if (this.#balancer.retiring > 0) this.#endRetired();
    this.#pump();
  }

  /**
   * Cancels a task with `reason`. Queued: it leaves the queue and rejects now. In a worker but
   * not started: the worker will skip it, and it rejects now. Running: its `ctx.signal` aborts,
   * and it rejects once the worker lets go of it, or once the worker is terminated after `grace`.
   * Done but held for its progress: it rejects now.
   */
  #cancel(record: TaskRecord, reason: unknown, state: number): void {
    if (record.reason !== undefined || record.caller.settled) return;
    record.reason = reason;
    this.#stats.cancelled++;
    switch (record.where) {
      case 'queued':
      case 'waiting':
        this.#admission.remove(record);
        record.where = 'done';
        this.#settle(record, false, reason);
        this.#pump();
        return;
      case 'done':
        this.#progress.drop(record);
        this.#settle(record, false, reason);
        return;
      case 'worker':
        if (this.#slots.cancel(record.slot, state)) {
          this.#settle(record, false, reason);
          return;
        }
        this.#controls.abort(this.#slots.owner(record.slot), record.slot, record.id);
        record.graceTimer = startTimer(this.options.grace, () => this.#terminateOwner(record));
    }
  }

  /** The running task ignored its abort for `grace` ms: end its worker (Piscina replaces it). */
  #terminateOwner(record: TaskRecord): void {
    if (record.where === 'worker') this.#controls.terminate(this.#slots.owner(record.slot));
  }

  #settle(record: TaskRecord, ok: boolean, value: unknown): void {
    record.deadlineTimer?.cancel();
    record.timeoutTimer?.cancel();
    record.unlisten?.();
    record.unlisten = undefined;
    if (!record.caller.settled) {
      record.caller.settled = true;
      if (ok) record.caller.resolve(value);
      else record.caller.reject(value);
    }
    this.#maybeIdle(record);
  }

  // A task counts as settled for close() only once no worker holds it any more.
  #maybeIdle(record: TaskRecord): void {
    if (record.where !== 'done' || record.counted) return;
    record.counted = true;
    if (--this.#unsettled === 0) this.#idle?.resolve();
  }

  #onControl([tag, slot, id, value]: ControlMessage, threadId: number): void {
    if (tag === ToLoop.loaded) {
      this.#startFailures = 0;
      return;
    }
    if (tag === ToLoop.stray) {
      this.#stats.strayErrors++;
      const error = deserializeError(value as never);
      if (strayErrorChannel.hasSubscribers) strayErrorChannel.publish({ error, threadId });
      // Piscina failed to post a task's answer (something the result check let through): that
      // task would never finish, so the worker cannot wait to empty.
      if ((error as Error | undefined)?.name === 'DataCloneError') {
        this.#controls.terminate(threadId);
      } else {
        this.#retire(threadId);
      }
      return;
    }
    const inWorker = this.#bySlot[slot];
    const record = inWorker?.id === id ? inWorker : this.#progress.get(id);
    // Nothing reaches the caller once its task is cancelled or settled.
    if (record === undefined || record.caller.settled || record.reason !== undefined) return;
    if (tag === ToLoop.progress) {
      record.progressSeen++;
      try {
        record.onProgress?.(value);
      } catch (error) {
        this.#cancel(record, new CallbackError('onProgress', error), SlotState.cancelled);
        return;
      }
      this.#progress.delivered(record);
    } else if (tag === ToLoop.started && record.timeout !== undefined) {
      const timeout = record.timeout;
      record.timeoutTimer?.cancel(); // started again on a new worker after a crash
      record.timeoutTimer = startTimer(timeout, () =>
        this.#cancel(record, new TaskTimeoutError(record.name, timeout), SlotState.timedOut),
      );
    }
  }

  /** Worker `threadId` can no longer be trusted: it takes no more tasks and ends once empty. */
  #retire(threadId: number): void {
    if (threadId === 0 || this.#destroyed) return;
    this.#balancer.retire(threadId);
    this.#endRetired();
  }

  #endRetired(): void {
    for (const threadId of this.#balancer.emptied()) this.#controls.terminate(threadId);
  }

  #onWorkerExit(threadId: number, code: number, loaded: boolean): void {
    this.#balancer.forget(threadId);
    if (this.#destroyed || this.#broken !== undefined) return;
    this.#stats.workersReplaced++;
    // Its port is gone: results still waiting for its progress messages settle after
    // whatever was already delivered has been handled.
    setImmediate(() => this.#progress.ownerGone(threadId));
    if (loaded) return;
    if (++this.#startFailures >= MAX_START_FAILURES) {
      this.#break(
        new PoolBrokenError(
          `${MAX_START_FAILURES} workers in a row ended before loading the task module`,
          { cause: new WorkerCrashedError('(loading the task module)', code) },
        ),
      );
    }
  }

  /** Like Python's BrokenProcessPool: everything waiting fails now, and so does every later run. */
  #break(error: PoolBrokenError): void {
    this.#broken = error;
    for (const record of this.#admission.drain()) {
      record.where = 'done';
      this.#settle(record, false, error);
    }
    // Tasks handed to Piscina settle now; their records are counted out when Piscina lets go.
    for (const record of this.#bySlot) if (record !== undefined) this.#settle(record, false, error);
    this.#piscinaDown ??= this.#piscina.destroy();
  }

  /** A snapshot of counters, sizes, latencies and every option in force. */
  stats(): PoolStats {
    const { threads, concurrentTasksPerWorker, maxQueue, onFull, grace, startTimeout } =
      this.options;
    const s = this.#stats;
    return {
      threads: this.#broken === undefined ? this.#piscina.threads.length : 0,
      size: threads,
      concurrentTasksPerWorker,
      depth: this.#depth.perWorker,
      maxQueue,
      onFull,
      grace,
      startTimeout,
      queued: this.#admission.size,
      inWorkers: this.#inWorkers,
      running: this.#slots.countRunning(),
      completed: s.completed,
      failed: s.failed,
      cancelled: s.cancelled,
      crashed: s.crashed,
      workersReplaced: s.workersReplaced,
      strayErrors: s.strayErrors,
      broken: this.#broken !== undefined,
      waitTime: s.waitTime(),
      runTime: s.runTime(),
      utilization: s.utilization(threads),
    };
  }

  /**
   * Stops intake, lets queued and running tasks finish, then ends the workers. If they have not
   * finished after `timeout` ms (default 30 000; `Infinity` waits for ever), what is left is
   * destroyed as by `destroy()`. Idempotent: later calls return the same promise. A bad
   * argument rejects that call only.
   */
  close(options: { timeout?: number } = {}): Promise<void> {
    try {
      if (typeof options !== 'object' || options === null) {
        throw new InvalidArgumentError(`Expected close options to be an object, got ${options}`);
      }
      checkDuration('options.timeout', options.timeout);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#closing ??= this.#drainThenDestroy(options.timeout ?? 30_000);
    return this.#closing;
  }

  async #drainThenDestroy(timeout: number): Promise<void> {
    if (this.#unsettled > 0) {
      this.#idle = deferred<void>();
      const timer = startTimer(timeout, () => this.#idle?.resolve());
      await this.#idle.promise;
      timer.cancel();
    }
    await this.destroy();
  }

  /**
   * Ends the workers now. Every task still queued or running rejects with `PoolDestroyedError`
   * (`ERR_TANDEM_POOL_DESTROYED`). Idempotent.
   */
  async destroy(): Promise<void> {
    if (this.#destroyed) return this.#piscinaDown;
    this.#destroyed = true;
    for (const record of this.#admission.drain()) {
      record.where = 'done';
      this.#settle(record, false, record.reason ?? new PoolDestroyedError(record.name));
    }
    this.#piscinaDown ??= this.#piscina.destroy();
    await this.#piscinaDown;
    this.#controls.close();
    this.#progress.releaseAll();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Why start failed, as a coded error. The module's own load error arrives in an envelope; a
 * start timeout is already coded; anything else is a worker that died while loading.
 */
function startFailure(failure: unknown, tasksUrl: string): unknown {
  if (isEnvelope(failure) && failure.__tandem === 'error') return deserializeError(failure.error);
  if (failure instanceof StartTimeoutError) return failure;
  return new TaskModuleLoadError(tasksUrl, { cause: failure });
}
