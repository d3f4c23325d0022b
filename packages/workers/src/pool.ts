/**
 * `WorkerPool`: a fixed set of worker threads over Piscina, with a bounded queue of its own in
 * front (so that it knows, for every task, whether it is queued, waiting inside a worker or
 * running), cancellation that reaches running work, crash recovery and coded errors.
 *
 * @module
 */
import { Piscina } from 'piscina';
import { clock } from './clock.js';
import { deserializeError } from './codec.js';
import type { TaskInput, TaskMap, TaskResult } from './define.js';
import { DispatchDepth, MAX_AUTO_DEPTH } from './dispatch-depth.js';
import {
  PoolClosedError,
  PoolDestroyedError,
  QueueFullError,
  TaskTimeoutError,
  UncloneableInputError,
  UnknownTaskError,
  WorkerCrashedError,
} from './errors.js';
import { AbortFanout } from './internal/abort-fanout.js';
import { type Deferred, deferred } from './internal/deferred.js';
import { Fifo } from './internal/fifo.js';
import {
  type ResolvedPoolOptions,
  resolvePoolOptions,
  type WorkerPoolOptions,
} from './pool-options.js';
import { type PoolStats, StatsRecorder } from './pool-stats.js';
import {
  isEnvelope,
  Mode,
  type TaskMessage,
  TaskState,
  ToLoop,
  type WorkerBootData,
} from './protocol.js';
import { SlotTable } from './slot-table.js';
import { newTaskRecord, type TaskRecord } from './task-record.js';
import { inspectValue } from './transfer.js';
import { checkDuration, checkSignal } from './validate.js';
import { type ControlMessage, WorkerControls } from './worker-controls.js';

const entryUrl = new URL('./worker-entry.js', import.meta.url);

/** A task that never started may be handed to a new worker this many times after crashes. */
const MAX_REDISPATCH = 3;

/** Options of one `run()`. */
export interface RunOptions {
  /** Cancels the task: a queued task never starts; a running one sees `ctx.signal` abort. */
  signal?: AbortSignal | undefined;
  /** Ms the task may run, counted from the moment a worker starts it. */
  timeout?: number | undefined;
  /** Ms the task may take in all, counted from this call (queue time included). */
  deadline?: number | undefined;
  /** Move the ArrayBuffers found in `input` instead of copying them; the caller loses them. */
  transfer?: boolean | undefined;
  /** Receives each `ctx.progress(value)` of the task. */
  onProgress?: ((value: unknown) => void) | undefined;
}

/**
 * A pool of worker threads that run the tasks of one task module.
 *
 * Every `run()` settles: with the task's result, its error (rebuilt with its class, code,
 * cause and properties), `signal.reason` when cancelled, `TaskTimeoutError`,
 * `WorkerCrashedError` when its worker dies, or `PoolDestroyedError`.
 *
 * @example
 * await using pool = await WorkerPool.start<typeof tasks>({ tasks: new URL('./tasks.js', import.meta.url) });
 * const n = await pool.run('wordCount', text, { timeout: 2_000 });
 */
export class WorkerPool<Tasks extends TaskMap = TaskMap> {
  readonly options: ResolvedPoolOptions;
  readonly #piscina: Piscina;
  readonly #slots: SlotTable;
  readonly #depth: DispatchDepth;
  readonly #queue = new Fifo<TaskRecord>();
  /** Callers waiting for room in a full queue (`onFull: 'wait'`). */
  readonly #waiting = new Fifo<TaskRecord>();
  /** Tasks handed to workers, by slot. */
  readonly #bySlot: (TaskRecord | undefined)[] = [];
  readonly #controls: WorkerControls;
  /** Tasks whose result is in but whose last progress messages are still on their way. */
  readonly #awaitingProgress = new Map<number, TaskRecord>();
  readonly #aborts = new AbortFanout<TaskRecord>((record, reason) =>
    this.#cancel(record, reason, TaskState.cancelled),
  );
  readonly #stats = new StatsRecorder();
  #known = new Set<string>();
  #nextId = 1;
  #inWorkers = 0;
  #unsettled = 0;
  #idle: Deferred<void> | undefined;
  #closing: Promise<void> | undefined;
  #destroyed = false;

  /**
   * Starts the workers and loads the task module in them.
   *
   * @throws TaskModuleLoadError (`ERR_TANDEM_TASK_MODULE_LOAD`) when the module fails to load,
   * InvalidTaskModuleError (`ERR_TANDEM_INVALID_TASK_MODULE`) when it does not default-export
   * `defineTasks({ … })`; option errors (`ERR_TANDEM_INVALID_ARGUMENT`, `ERR_TANDEM_OUT_OF_RANGE`).
   */
  static async start<Tasks extends TaskMap = TaskMap>(
    options: WorkerPoolOptions,
  ): Promise<WorkerPool<Tasks>> {
    const pool = new WorkerPool<Tasks>(resolvePoolOptions(options));
    try {
      const names = (await pool.#piscina.run([0, -1, '', undefined, Mode.describe])) as string[];
      pool.#known = new Set(names);
    } catch (failure) {
      await pool.destroy();
      throw isEnvelope(failure) && failure.__tandem === 'error'
        ? deserializeError(failure.error)
        : failure;
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
    const workerData: WorkerBootData = { tasksUrl: options.tasksUrl, states: this.#slots.buffer };
    this.#piscina = new Piscina({
      filename: entryUrl.href,
      minThreads: options.threads,
      maxThreads: options.threads,
      concurrentTasksPerWorker: maxPerWorker,
      idleTimeout: Number.POSITIVE_INFINITY,
      recordTiming: false,
      workerData,
      ...(options.resourceLimits && { resourceLimits: options.resourceLimits }),
      ...(options.execArgv && { execArgv: options.execArgv }),
    });
    this.#controls = new WorkerControls(
      this.#piscina,
      (message) => this.#onControl(message),
      (threadId) => {
        if (!this.#destroyed) this.#stats.workersReplaced++;
        // Its port is gone: results still waiting for its progress messages settle after
        // whatever was already delivered has been handled.
        setImmediate(() => {
          for (const record of this.#awaitingProgress.values()) {
            if (record.progressOwner === threadId) this.#releaseResult(record);
          }
        });
      },
    );
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
   * @throws (synchronously, as a rejection) UnknownTaskError, UncloneableInputError,
   * PoolClosedError, QueueFullError (with `onFull: 'reject'`), and option errors; nothing is
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

  /** @internal The batching entry used by `map`: `items` run in one worker, in order. */
  runBatch(name: string, items: unknown[], options: RunOptions): Promise<unknown> {
    try {
      return this.#submit(name, items, Mode.batch, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #submit(name: string, input: unknown, mode: number, options: RunOptions): Promise<unknown> {
    const { signal, timeout, deadline, transfer, onProgress } = options;
    checkSignal('options.signal', signal);
    checkDuration('options.timeout', timeout);
    checkDuration('options.deadline', deadline);
    signal?.throwIfAborted();
    if (this.#closing !== undefined || this.#destroyed) throw new PoolClosedError();
    if (!this.#known.has(name)) throw new UnknownTaskError(name, this.taskNames);
    const { problem, transferList } = inspectValue(input, transfer === true);
    if (problem !== undefined) throw new UncloneableInputError(name, problem.path, problem.kind);
    const full = this.#isFull();
    if (full && this.options.onFull === 'reject') throw new QueueFullError(this.options.maxQueue);

    const record = newTaskRecord(this.#nextId++, name, input, mode, clock().now());
    record.transferList = transferList;
    record.timeout = timeout;
    record.onProgress = onProgress;
    if (timeout !== undefined) record.mode |= Mode.reportStart;
    this.#unsettled++;
    if (signal !== undefined) record.unlisten = this.#aborts.subscribe(signal, record);
    if (deadline !== undefined) {
      record.timer = clock().setTimeout(
        () =>
          this.#cancel(
            record,
            new TaskTimeoutError(name, deadline, 'deadline'),
            TaskState.timedOut,
          ),
        deadline,
      );
    }
    if (full) this.#waiting.push(record);
    else this.#enqueue(record);
    return record.caller.promise;
  }

  /** No room: a worker cannot take it now and the queue is at maxQueue (or others wait already). */
  #isFull(): boolean {
    if (this.#waiting.size > 0) return true;
    const dispatchable = this.#inWorkers < this.#depth.capacity && this.#queue.size === 0;
    return !dispatchable && this.#queue.size >= this.options.maxQueue;
  }

  #enqueue(record: TaskRecord): void {
    record.where = 'queued';
    if (this.#inWorkers < this.#depth.capacity && this.#queue.size === 0) this.#dispatch(record);
    else this.#queue.push(record);
  }

  /** Hands queued tasks to workers while they have room, and admits waiting callers. */
  #pump(): void {
    while (this.#inWorkers < this.#depth.capacity) {
      const next = this.#queue.shift();
      if (next === undefined) break;
      this.#dispatch(next);
    }
    while (
      this.#waiting.size > 0 &&
      (this.#queue.size < this.options.maxQueue || this.#inWorkers < this.#depth.capacity)
    ) {
      const waiter = this.#waiting.shift();
      if (waiter === undefined) break;
      this.#enqueue(waiter);
    }
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
    if (record.reason !== undefined) {
      this.#settle(record, false, record.reason);
    } else {
      this.#stats.completed++;
      this.#settleAfterProgress(record, owner, progressSent, () =>
        this.#settle(record, true, value),
      );
    }
  }

  /**
   * Settles once every progress message the task sent has been delivered: they travel on the
   * control port, the result on Piscina's, and the caller must not see progress after the end.
   */
  #settleAfterProgress(
    record: TaskRecord,
    owner: number,
    progressSent: number,
    settle: () => void,
  ): void {
    if (record.onProgress === undefined || record.progressSeen >= progressSent) {
      settle();
      return;
    }
    // The control port is unref'd; hold it so the process waits for the stragglers.
    const release = this.#controls.hold(owner);
    record.progressSent = progressSent;
    record.progressOwner = owner;
    record.afterProgress = () => {
      release();
      settle();
    };
    this.#awaitingProgress.set(record.id, record);
  }

  /** Settles a result held back for its progress messages (all arrived, or none will). */
  #releaseResult(record: TaskRecord): void {
    const settle = record.afterProgress;
    if (settle === undefined) return;
    record.afterProgress = undefined;
    this.#awaitingProgress.delete(record.id);
    settle();
  }

  #onWorkerFailure(record: TaskRecord, failure: unknown): void {
    const state = this.#slots.state(record.slot);
    const owner = this.#slots.owner(record.slot);
    const progressSent = this.#slots.progressSent(record.slot);
    this.#leaveWorker(record);
    if (record.reason !== undefined) {
      this.#settle(record, false, record.reason);
    } else if (isEnvelope(failure)) {
      this.#stats.failed++;
      const error = failure.__tandem === 'error' ? deserializeError(failure.error) : failure;
      this.#settleAfterProgress(record, owner, progressSent, () =>
        this.#settle(record, false, error),
      );
    } else if (this.#destroyed) {
      this.#settle(record, false, new PoolDestroyedError(record.name));
    } else if (
      (state === TaskState.pending || state === TaskState.done) &&
      record.redispatches < MAX_REDISPATCH
    ) {
      // Another task killed the worker before this one started, or after it finished but
      // before its answer was posted: run it again on a fresh worker.
      record.redispatches++;
      record.removed = false;
      record.where = 'queued';
      this.#queue.unshift(record);
      this.#pump();
    } else {
      this.#stats.failed++;
      this.#stats.crashed++;
      const exitCode = state === TaskState.running ? this.#controls.exitCode(owner) : undefined;
      this.#settle(
        record,
        false,
        new WorkerCrashedError(record.name, exitCode, { cause: failure }),
      );
    }
  }

  #leaveWorker(record: TaskRecord): void {
    this.#stats.recordRun(clock().now() - record.dispatchedAt);
    this.#depth.onCompletion(this.#queue.size > 0 || this.#inWorkers >= this.#depth.capacity);
    this.#bySlot[record.slot] = undefined;
    this.#slots.release(record.slot);
    this.#inWorkers--;
    if (record.graceTimer !== undefined) clock().clearTimeout(record.graceTimer);
    record.where = 'done';
    this.#pump();
  }

  /**
   * Cancels a task with `reason`. Queued: it leaves the queue and rejects now. In a worker but
   * not started: the worker will skip it, and it rejects now. Running: its `ctx.signal` aborts,
   * and it rejects once the worker lets go of it, or once the worker is terminated after `grace`.
   */
  #cancel(record: TaskRecord, reason: unknown, state: number): void {
    if (record.reason !== undefined || record.caller.settled) return;
    record.reason = reason;
    this.#stats.cancelled++;
    if (record.where === 'queued' || record.where === 'waiting') {
      (record.where === 'queued' ? this.#queue : this.#waiting).remove(record);
      record.where = 'done';
      this.#settle(record, false, reason);
      this.#pump();
      return;
    }
    if (this.#slots.cancel(record.slot, state)) {
      this.#settle(record, false, reason);
      return;
    }
    this.#controls.abort(this.#slots.owner(record.slot), record.slot, record.id);
    record.graceTimer = clock().setTimeout(() => this.#terminateOwner(record), this.options.grace);
  }

  /** The running task ignored its abort for `grace` ms: end its worker (Piscina replaces it). */
  #terminateOwner(record: TaskRecord): void {
    if (record.where === 'worker') this.#controls.terminate(this.#slots.owner(record.slot));
  }

  #settle(record: TaskRecord, ok: boolean, value: unknown): void {
    if (record.timer !== undefined) clock().clearTimeout(record.timer);
    record.unlisten?.();
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

  #onControl([tag, slot, id, value]: ControlMessage): void {
    const inWorker = this.#bySlot[slot];
    const record = inWorker?.id === id ? inWorker : this.#awaitingProgress.get(id);
    if (record === undefined) return;
    if (tag === ToLoop.progress) {
      record.progressSeen++;
      record.onProgress?.(value);
      if (record.progressSeen >= record.progressSent) this.#releaseResult(record);
    } else if (
      tag === ToLoop.started &&
      record.timeout !== undefined &&
      record.reason === undefined
    ) {
      const timeout = record.timeout;
      if (record.timer !== undefined) clock().clearTimeout(record.timer);
      record.timer = clock().setTimeout(
        () => this.#cancel(record, new TaskTimeoutError(record.name, timeout), TaskState.timedOut),
        timeout,
      );
    }
  }

  /** A snapshot of counters, sizes, latencies and every option in force. */
  stats(): PoolStats {
    const { threads, concurrentTasksPerWorker, maxQueue, onFull, grace } = this.options;
    const s = this.#stats;
    return {
      threads: this.#piscina.threads.length,
      size: threads,
      concurrentTasksPerWorker,
      depth: this.#depth.perWorker,
      maxQueue,
      onFull,
      grace,
      queued: this.#queue.size + this.#waiting.size,
      inWorkers: this.#inWorkers,
      running: this.#slots.countRunning(),
      completed: s.completed,
      failed: s.failed,
      cancelled: s.cancelled,
      crashed: s.crashed,
      workersReplaced: s.workersReplaced,
      waitTime: s.waitTime(),
      runTime: s.runTime(),
      utilization: s.utilization(threads),
    };
  }

  /**
   * Stops intake, lets queued and running tasks finish, then ends the workers. If they have not
   * finished after `timeout` ms (default 30 000), what is left is destroyed as by `destroy()`.
   * Idempotent: later calls return the same promise.
   */
  close(options: { timeout?: number } = {}): Promise<void> {
    checkDuration('options.timeout', options.timeout);
    this.#closing ??= this.#drainThenDestroy(options.timeout ?? 30_000);
    return this.#closing;
  }

  async #drainThenDestroy(timeout: number): Promise<void> {
    if (this.#unsettled > 0) {
      this.#idle = deferred<void>();
      const timer = clock().setTimeout(() => this.#idle?.resolve(), timeout);
      await this.#idle.promise;
      clock().clearTimeout(timer);
    }
    await this.destroy();
  }

  /**
   * Ends the workers now. Every task still queued or running rejects with `PoolDestroyedError`
   * (`ERR_TANDEM_POOL_DESTROYED`). Idempotent.
   */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const fifo of [this.#waiting, this.#queue]) {
      for (let record = fifo.shift(); record !== undefined; record = fifo.shift()) {
        record.where = 'done';
        this.#settle(record, false, record.reason ?? new PoolDestroyedError(record.name));
      }
    }
    await this.#piscina.destroy();
    this.#controls.close();
    for (const record of this.#awaitingProgress.values()) this.#releaseResult(record);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
