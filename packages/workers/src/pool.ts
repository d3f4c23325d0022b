/**
 * `WorkerPool`: a fixed set of worker threads kept by Piscina (started, replaced when they
 * die, ended), with a bounded queue of its own in front (so that it knows, for every task,
 * whether it is queued, waiting inside a worker or running), cancellation that reaches running
 * work, crash recovery and coded errors. Tasks travel on a port of Tandem's own per worker, not
 * in Piscina's message per task (see `protocol.ts`). This file is the task lifecycle: submit,
 * dispatch, answer, cancel, settle. The queue is in `admission.ts`, the ports in
 * `worker-controls.ts`.
 *
 * @module
 */
import { AsyncResource } from 'node:async_hooks';
import { Piscina } from 'piscina';
import { AdmissionQueue } from './admission.js';
import { type BatchOutcome, kRunBatch, type TaskBackend } from './backend.js';
import { Balancer, type Dispatch } from './balancer.js';
import { clock } from './clock.js';
import { isDetached } from './clone-rules.js';
import { deserializeError } from './codec.js';
import {
  CostModel,
  GROUP_MS,
  HELD_MS,
  MAX_AUTO_HELD,
  MAX_GROUP,
  STEAL_AFTER_MS,
} from './cost-model.js';
import type { TaskInput, TaskMap, TaskResult } from './define.js';
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
import { LoopLag } from './loop-lag.js';
import { PostFailure, verdictOnLostWorker } from './lost-worker.js';
import {
  type ResolvedPoolOptions,
  resolvePoolOptions,
  type WorkerPoolOptions,
} from './pool-options.js';
import { type PoolStats, StatsRecorder } from './pool-stats.js';
import {
  Answer,
  DESCRIBE,
  ENVELOPE_KEY,
  type Envelope,
  type GroupAnswer,
  isEnvelope,
  Mode,
  SlotState,
  type TaskMessage,
  ToLoop,
  type WorkerBootData,
} from './protocol.js';
import { SlotTable } from './slot-table.js';
import { strayErrorChannel } from './stray-errors.js';
import {
  notifyListeners,
  outcomeOf,
  type TaskSettledEvent,
  type TaskSettledListener,
} from './task-events.js';
import {
  madeLast,
  newTaskRecord,
  noBuffers,
  pendingPromise,
  Rejection,
  type TaskRecord,
} from './task-record.js';
import { startTimer, type Timer } from './timer.js';
import { CHECK_BUDGET, inspectValue } from './transfer.js';
import { checkDuration, checkFunction, checkIdempotencyKey, checkSignal } from './validate.js';
import { type ControlMessage, WorkerControls } from './worker-controls.js';

const entryUrl = new URL('./worker-entry.js', import.meta.url);

/** Workers in a row that die before loading the task module: the pool is broken. */
const MAX_START_FAILURES = 3;
/**
 * Ms before a worker that could not load the task module is ended (and another started): ×10
 * for each such failure in a row before it (0.1 s, then 1 s), so that a cause that passes (a
 * file being rewritten) can pass before the last try.
 */
const LOAD_RETRY_MS = 100;

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
  /**
   * For backends whose jobs outlive the process (`@tandem/bullmq`): runs with the same task
   * name and key are one job — a second `run` awaits the first one's result, and a restarted
   * producer can await it again. 1–200 characters. The local pool checks it and ignores it
   * (nothing outlives the process to deduplicate against).
   */
  idempotencyKey?: string | undefined;
}

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
export class WorkerPool<Tasks extends TaskMap = TaskMap> implements TaskBackend<Tasks> {
  readonly options: ResolvedPoolOptions;
  readonly #piscina: Piscina;
  readonly #slots: SlotTable;
  readonly #costs = new CostModel();
  readonly #balancer: Balancer;
  readonly #admission: AdmissionQueue;
  /** Tasks handed to workers, by slot. */
  readonly #bySlot: (TaskRecord | undefined)[] = [];
  /** Messages awaiting their answer, by the slot of their first task (which names them). */
  readonly #sent: (Dispatch | undefined)[] = [];
  readonly #controls: WorkerControls;
  readonly #aborts = new AbortFanout<TaskRecord>((record, reason) =>
    this.#cancel(record, reason, SlotState.cancelled),
  );
  readonly #stats = new StatsRecorder();
  /** `onSettled` listeners (a new array on each change: a notification in flight keeps its own). */
  #listeners: readonly TaskSettledListener[] = [];
  #known = new Set<string>();
  #nextId = 1;
  #inWorkers = 0;
  #unsettled = 0;
  #startFailures = 0;
  /** What the last worker that could not load the task module failed with (cleared by one that could). */
  #loadFailure: Error | undefined;
  /** Workers that could not load the task module (counted in `#startFailures` already). */
  readonly #loadFailed = new Set<number>();
  /** start() has resolved: a worker that fails to load from now on replaced one that died. */
  #started = false;
  #broken: PoolBrokenError | undefined;
  #idle: Deferred<void> | undefined;
  #closing: Promise<void> | undefined;
  #destroyed = false;
  #piscinaDown: Promise<void> | undefined;
  #pumpScheduled = false;
  /** A worker gone while a task of its was running in it (or ended it): its others are innocent. */
  #culprit = 0;
  /** Workers the pool ended for a task that ignored its cancellation past `grace`. */
  readonly #endedByPool = new Set<number>();
  /** A worker gone because the pool ended it: the tasks running in it were interrupted. */
  #interrupted = 0;
  #pumping = false;
  #stealTimer: Timer | undefined;
  /** The task name dispatched last (its cost sizes the room reported by `stats().depth`). */
  #lastName = '';
  readonly #loopLag = new LoopLag();
  /** Ms of work a worker holds under `'auto'`: more while the loop is slow to answer it. */
  #heldMs = HELD_MS;

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
      // One describe per worker (Piscina counts its first workers ready at once, and gives
      // each an idle one), so that every worker has loaded the module before the first task:
      // a fresh pool dispatches as a warm one. Describes are the only messages Piscina carries.
      const describes = Array.from({ length: resolved.threads }, () =>
        pool.#piscina.run([...DESCRIBE]),
      );
      const describe = Promise.all(describes).then((names) => names[0]);
      describe.catch(() => {}); // it may lose the race below; its failure is read there only
      pool.#known = new Set((await Promise.race([describe, gaveUp.promise])) as string[]);
      pool.#started = true;
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
    const auto = options.concurrentTasksPerWorker === 'auto';
    const maxPerWorker = auto ? MAX_AUTO_HELD : (options.concurrentTasksPerWorker as number);
    // Twice: a task taken back from a busy worker keeps its first slot until that worker
    // answers for it (it skips the task).
    this.#slots = new SlotTable(options.threads * maxPerWorker * 2);
    this.#admission = new AdmissionQueue(options.maxQueue, (name, input, mode, resolve, at) =>
      newTaskRecord(this.#nextId++, name, input, mode, at, resolve, undefined),
    );
    this.#balancer = new Balancer(!auto);
    const workerData: WorkerBootData = { tasksUrl: options.tasksUrl, states: this.#slots.buffer };
    this.#piscina = new Piscina({
      filename: entryUrl.href,
      minThreads: options.threads,
      maxThreads: options.threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      recordTiming: false,
      // An idle worker keeps its event loop turning (not asleep in `Atomics.wait`), so that
      // the tasks, aborts and answers on Tandem's ports flow at any time.
      atomics: 'disabled',
      workerData,
      ...(options.resourceLimits && { resourceLimits: options.resourceLimits }),
      ...(options.execArgv && { execArgv: options.execArgv }),
    });
    this.#controls = new WorkerControls(this.#piscina, {
      message: (message, threadId) => this.#onControl(message, threadId),
      // A worker ready (at start or replacing one that died) may take queued work, or tasks
      // waiting inside a busy worker.
      ready: (threadId) => {
        this.#balancer.ready(threadId);
        this.#schedulePump();
      },
      // Its last answers may free room: none of it goes to this worker.
      exiting: (threadId) => this.#balancer.retire(threadId),
      exit: (threadId, code, loaded, cause) => this.#onWorkerExit(threadId, code, loaded, cause),
    });
    // Without a listener Piscina would throw the error of an idle worker into the process;
    // its exit is counted in `workersReplaced`.
    this.#piscina.on('error', () => {});
  }

  /** Names of the tasks the module defines. */
  get taskNames(): string[] {
    return [...this.#known];
  }

  /** `'local'`: worker threads of this process. */
  get kind(): 'local' {
    return 'local';
  }

  /** The configured number of worker threads. */
  get threads(): number {
    return this.options.threads;
  }

  /** Ms that start-up was allowed to take. */
  get startTimeout(): number {
    return this.options.startTimeout;
  }

  /** The batching entry used by `map`: `items` run in one worker, in order. */
  [kRunBatch](name: string, items: unknown[], options: RunOptions): Promise<BatchOutcome> {
    try {
      return this.#submit(name, items, Mode.batch, options) as Promise<BatchOutcome>;
    } catch (error) {
      return Promise.reject(error);
    }
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
    const { signal, timeout, deadline, transfer, onProgress, idempotencyKey } = options;
    checkSignal('options.signal', signal);
    checkIdempotencyKey(idempotencyKey);
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
    const { problem, transferList } = inspectValue(input, transfer === true, 'input', CHECK_BUDGET);
    if (problem !== undefined) throw new UncloneableInputError(name, problem.path, problem.kind);
    const full = this.#admission.isFull(this.#workerRoomOf, name);
    if (full && this.options.onFull === 'reject') throw new QueueFullError(this.options.maxQueue);

    const promise = pendingPromise();
    const { resolve, reject } = madeLast;
    this.#unsettled++;
    const plain =
      signal === undefined &&
      timeout === undefined &&
      deadline === undefined &&
      onProgress === undefined &&
      transferList.length === 0;
    if (full && plain) {
      // A burst's caller waiting for room: it keeps only what it gave until it is let in.
      this.#loopLag.start();
      this.#admission.wait(name, input, mode, resolve, clock().now());
      this.#schedulePump();
      return promise;
    }
    const record = newTaskRecord(this.#nextId++, name, input, mode, clock().now(), resolve, reject);
    record.transferList = transferList;
    record.timeout = timeout;
    // Progress arrives from a port's event: run the callback where the caller called run().
    if (onProgress !== undefined) record.onProgress = AsyncResource.bind(onProgress);
    if (timeout !== undefined) record.mode |= Mode.reportStart;
    if (signal !== undefined) record.unlisten = this.#aborts.subscribe(signal, record);
    if (deadline !== undefined) {
      record.deadlineTimer = startTimer(deadline, () =>
        this.#cancel(record, new TaskTimeoutError(name, deadline, 'deadline'), SlotState.timedOut),
      );
    }
    if (!full && this.#admission.size === 0 && this.#hasIdleWorker()) {
      // A worker sits idle: this task goes now, alone, and waits for nobody.
      this.#dispatch([record]);
    } else {
      // Sent at the end of the current job at the latest, with whatever else is queued then:
      // calls issued together, or while the workers are busy, travel together.
      // The loop's lag sizes what a busy worker holds, so it is watched while tasks queue
      // (until the pool has nothing left to settle); a task sent at once needs none of it.
      this.#loopLag.start();
      this.#admission.push(record, full);
      this.#schedulePump();
    }
    return promise;
  }

  #hasIdleWorker(): boolean {
    return this.#balancer.lightest()?.tasks === 0;
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  /**
   * Tasks of `name` the lightest worker may take in its next message: under `'auto'`, about
   * {@link GROUP_MS} of their estimated work, while it holds less than {@link HELD_MS} — more
   * while the loop is slow to come back to it, see `loop-lag.ts` — (or fewer than two tasks); with a fixed setting, up to it. 0: no room.
   */
  #groupSize(name: string): number {
    const lightest = this.#balancer.lightest();
    if (lightest === undefined) return 0;
    const cost = this.#costs.estimate(name);
    const room = this.#roomOf(lightest.tasks, lightest.ms, cost);
    // Spread a burst over the workers rather than fill the first.
    let size = Math.ceil(this.#admission.size / this.options.threads);
    if (this.#costs.isAsync(name)) size = 1;
    else if (this.options.concurrentTasksPerWorker === 'auto') {
      size = Math.min(size, MAX_GROUP, Math.max(1, Math.floor(GROUP_MS / cost)));
    }
    // A busy worker gets full messages only: topping it up with each task that finishes
    // would send one message per task (TCP's silly window).
    if (room < size && lightest.tasks > 0) return 0;
    // Never past the shared table (each task in a worker holds a slot).
    return Math.min(size, room, this.#slots.free);
  }

  /** Tasks costing `cost` ms each that a worker holding `tasks` (`ms` of work) may take now. */
  #roomOf(tasks: number, ms: number, cost: number): number {
    const setting = this.options.concurrentTasksPerWorker;
    if (setting !== 'auto') return Math.max(0, setting - tasks);
    if (tasks >= MAX_AUTO_HELD) return 0;
    // Two tasks whatever their cost: one runs, the next waits, so the worker never idles.
    if (tasks < 2) {
      return Math.max(
        2 - tasks,
        Math.min(MAX_AUTO_HELD - tasks, Math.floor((this.#heldMs - ms) / cost)),
      );
    }
    if (ms >= this.#heldMs) return 0;
    return Math.max(1, Math.min(MAX_AUTO_HELD - tasks, Math.floor((this.#heldMs - ms) / cost)));
  }

  /** Tasks of `name` all workers may take now (bounds how many the queue admits). */
  readonly #workerRoomOf = (name: string): number => {
    const cost = this.#costs.estimate(name);
    return this.#balancer.room((tasks, ms) => this.#roomOf(tasks, ms, cost));
  };

  /** Hands queued tasks to workers while they have room, admits waiting callers, and steals. */
  #pump(): void {
    if (this.#broken !== undefined || this.#destroyed || this.#pumping) return;
    this.#pumping = true;
    this.#heldMs = this.#loopLag.heldMs(clock().now());
    try {
      for (;;) {
        for (let head = this.#admission.peek(); head !== undefined; head = this.#admission.peek()) {
          const size = head.solo
            ? Math.min(1, this.#groupSize(head.name))
            : this.#groupSize(head.name);
          if (size === 0) break;
          this.#dispatch(this.#takeGroup(head, size));
        }
        const queued = this.#admission.queued;
        this.#admission.admit(this.#workerRoomOf, this.#lastName);
        if (this.#admission.queued === queued || this.#groupSize(this.#lastName) === 0) break;
      }
    } finally {
      this.#pumping = false;
    }
    this.#maybeSteal();
  }

  /**
   * `head` and the tasks queued right behind it, up to `size` (sized for `head`'s name). Under
   * `'auto'`, tasks of other names join while the group's estimated work stays within that of
   * `size` tasks of `head`'s name, so a cheap task never brings a long one into its message
   * (the long one heads a message of its own); a fixed `concurrentTasksPerWorker` counts tasks
   * only. A task of a name known to be async never joins: such a task travels alone.
   */
  #takeGroup(head: TaskRecord, size: number): TaskRecord[] {
    const group = [this.#admission.shift()!];
    if (head.solo) return group;
    const unit = this.#costs.estimate(head.name);
    const auto = this.options.concurrentTasksPerWorker === 'auto';
    const budget = auto ? size * unit : Number.POSITIVE_INFINITY;
    let cost = this.#costOf(head);
    while (group.length < size) {
      const next = this.#admission.peek();
      if (next === undefined || next.solo) break;
      if (next.name === head.name && !(next.mode & Mode.batch)) {
        cost += unit;
      } else {
        const nextCost = this.#costOf(next);
        const joins =
          next.name === head.name || (!this.#costs.isAsync(next.name) && cost + nextCost <= budget);
        if (!joins) break;
        cost += nextCost;
      }
      group.push(this.#admission.shift()!);
    }
    return group;
  }

  /** Estimated ms of work in `record` (a `map` batch counts each item). */
  #costOf(record: TaskRecord): number {
    const items = record.mode & Mode.batch ? (record.input as unknown[]).length : 1;
    return this.#costs.estimate(record.name) * items;
  }

  #dispatch(group: TaskRecord[]): void {
    let records = group;
    if (group.some((record) => record.transferList.length > 0)) {
      records = group.filter((record) => this.#stillTransferable(record));
      if (records.length === 0) return;
    }
    const now = clock().now();
    const name = records[0]!.name;
    const many = records.length > 1;
    // A message of several carries its slots as one Int32Array; a lone task, its slot alone.
    const slots = many ? new Int32Array(records.length) : [0];
    const message: TaskMessage = [name, 0];
    // Each name once, from the first task of another name on (see `TaskMessage`).
    let names: string[] | undefined;
    let transferList = noBuffers;
    let cost = 0;
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      let task = 0;
      if (record.name !== name) {
        names ??= [name];
        task = names.indexOf(record.name);
        if (task === -1) task = names.push(record.name) - 1;
      }
      const slot = this.#slots.acquire(record.id, record.mode, task);
      record.slot = slot;
      record.where = 'worker';
      record.dispatchedAt = now;
      record.releasedAt = 0;
      this.#stats.recordWait(now - record.submittedAt);
      this.#bySlot[slot] = record;
      slots[i] = slot;
      message.push(record.input);
      cost += this.#costOf(record);
      if (record.transferList.length > 0) transferList = transferList.concat(record.transferList);
    }
    if (names !== undefined) message[0] = names;
    message[1] = many ? (slots as Int32Array) : slots[0]!;
    this.#inWorkers += records.length;
    this.#stats.messages++;
    this.#lastName = name;
    const dispatch: Dispatch = {
      records,
      slots,
      cost,
      held: records.length,
      sentAt: now,
      worker: 0,
    };
    const worker = this.#balancer.place(dispatch);
    this.#sent[slots[0]!] = dispatch;
    try {
      this.#controls.send(worker, message, transferList);
    } catch (failure) {
      // Something in an input that the check before let through: handled as an answer would
      // be, a turn later (the caller may be inside run()).
      this.#sent[slots[0]!] = undefined;
      queueMicrotask(() => this.#onDispatchFailure(dispatch, new PostFailure(failure)));
    }
  }

  /** Worker `threadId` answered for the message named by `slot`: `ok` 1 with its answer, 0 with its failure. */
  #onAnswered(slot: number, ok: number, answer: unknown, threadId: number): void {
    const dispatch = this.#sent[slot];
    if (dispatch === undefined) return;
    this.#sent[slot] = undefined;
    this.#controls.answered(threadId);
    if (ok === 1) this.#onAnswer(dispatch, answer);
    else this.#onDispatchFailure(dispatch, answer);
  }

  /**
   * False (and the task fails) when a buffer it transfers was detached since `run()` (moved by
   * an earlier task, or by the caller): postMessage would send it as an empty buffer.
   */
  #stillTransferable(record: TaskRecord): boolean {
    const detached = record.transferList.some(isDetached);
    if (detached) {
      record.where = 'done';
      this.#stats.failed++;
      this.#settle(
        record,
        false,
        new UncloneableInputError(record.name, 'input', 'detached ArrayBuffer'),
      );
    }
    return !detached;
  }

  /** The worker answered for every task of `dispatch`. */
  #onAnswer(dispatch: Dispatch, answer: unknown): void {
    this.#balancer.answered(dispatch);
    const { records, slots } = dispatch;
    const now = clock().now();
    if (records.length === 1) {
      this.#onWorkerResult(records[0]!, slots[0]!, answer, now);
    } else {
      const answers = answer as GroupAnswer;
      const failures = answers[0] as unknown[] | null;
      let next = failures === null ? -1 : (failures[0] as number);
      for (let i = 0, f = 0; i < records.length; i++) {
        if (i !== next) {
          this.#onWorkerResult(records[i]!, slots[i]!, answers[1 + i], now);
          continue;
        }
        const kind = failures![f + 1] as number;
        this.#onWorkerFailure(records[i]!, slots[i]!, envelopeOf(kind, failures![f + 2]), now);
        f += 3;
        next = f < failures!.length ? (failures![f] as number) : -1;
      }
    }
    this.#afterAnswer();
  }

  /**
   * The message failed: a task's envelope (one-task message), a failure to post it, or its
   * worker lost.
   */
  #onDispatchFailure(dispatch: Dispatch, failure: unknown): void {
    this.#balancer.answered(dispatch);
    const { records, slots } = dispatch;
    const now = clock().now();
    const open = !this.#destroyed && this.#broken === undefined;
    if (records.length > 1 && failure instanceof PostFailure && open) {
      // One of them cannot be posted: each goes alone, so only that one fails. (Not once the
      // pool is down: an input's getter may have destroyed it during the send, and nothing
      // would take them from the queue.)
      for (let i = records.length - 1; i >= 0; i--) {
        const record = records[i]!;
        if (!this.#release(record, slots[i]!, now)) continue;
        record.solo = true;
        if (this.#settledAlready(record)) continue;
        this.#admission.unshift(record);
      }
    } else {
      // Last first: each task run again goes back to the queue's head, so they keep their order.
      for (let i = records.length - 1; i >= 0; i--) {
        this.#onWorkerFailure(records[i]!, slots[i]!, failure, now);
      }
    }
    this.#afterAnswer();
  }

  /**
   * Tasks of a message still in its worker have settled (`ToLoop.settled`: `[slot, id, ok,
   * value or SerializedError, …]`): each caller hears now, with the task's value or error, or
   * its own cancellation reason. Their slots are freed, and their costs read, when the message
   * is answered.
   */
  #onSettledEarly(outcomes: unknown[]): void {
    const now = clock().now();
    for (let i = 0; i < outcomes.length; i += 4) {
      const slot = outcomes[i] as number;
      const record = this.#bySlot[slot];
      if (record === undefined || record.id !== outcomes[i + 1]) continue;
      const overran = this.#overran(record, slot);
      this.#leave(record, now);
      if (this.#settledAlready(record)) continue;
      if (overran) {
        this.#timedOutLate(record);
        continue;
      }
      const ok = outcomes[i + 2] as boolean;
      if (ok) this.#stats.completed++;
      else this.#stats.failed++;
      this.#settle(record, ok, ok ? outcomes[i + 3] : deserializeError(outcomes[i + 3] as never));
    }
  }

  #afterAnswer(): void {
    if (this.#balancer.retiring > 0) this.#endRetired();
    // Nothing queued (a lone task's answer): only an idle worker's chance to steal is left.
    if (this.#admission.size === 0) this.#maybeSteal();
    else this.#pump();
  }

  /**
   * The worker let go of `slot`. False when its task had already moved on: taken back while
   * it waited and sent to another worker.
   */
  #release(record: TaskRecord, slot: number, now: number): boolean {
    this.#slots.release(slot);
    if (record.slot !== slot) return false;
    this.#leave(record, now);
    return true;
  }

  /**
   * Its worker is done with `record`. Its slot stays taken until its message is answered (the
   * worker may still write to it), then {@link #release} frees it.
   */
  #leave(record: TaskRecord, now: number): void {
    const slot = record.slot;
    this.#stats.recordRun(now - record.dispatchedAt);
    record.releasedAt = now;
    this.#bySlot[slot] = undefined;
    this.#inWorkers--;
    record.slot = -1;
    record.graceTimer?.cancel();
    record.where = 'done';
  }

  /** Feeds the time the task took in its worker into the cost estimate. */
  #observeCost(record: TaskRecord, slot: number): void {
    const batch = record.mode & Mode.batch;
    const items = batch ? (record.input as unknown[]).length : 1;
    this.#costs.observe(record.name, this.#slots.costMs(slot), items);
    if (!batch && this.#slots.mode(slot) & Mode.async) this.#costs.markAsync(record.name);
  }

  /**
   * When a worker sits idle with nothing queued while tasks wait unclaimed inside busy workers
   * (behind a long task), takes the newer half of those back and sends them to the idle
   * workers. A worker claims a task by compare-and-swap on its slot and the loop takes one back
   * the same way, so exactly one side wins. Tasks are left alone for
   * {@link STEAL_AFTER_MS} after being sent (they are likely in transit), and tasks whose input
   * was transferred cannot be taken back (it went with the message).
   */
  #maybeSteal(): void {
    if (this.#admission.queued > 0 || this.#destroyed || this.#broken !== undefined) return;
    const busy = this.#balancer.busyBesideIdle();
    if (busy === undefined) return;
    const now = clock().now();
    // Only tasks that wait behind a running task are taken. A worker that runs nothing yet is
    // still reading its message (a large input takes more than STEAL_AFTER_MS to arrive):
    // taking its tasks back would send them to and fro for ever, none of them run.
    const running = new Set<number>();
    for (const { worker, slots } of busy) {
      if (!running.has(worker) && slots.some((slot) => this.#slots.isRunning(slot))) {
        running.add(worker);
      }
    }
    let young = false;
    const taken: TaskRecord[] = [];
    for (const dispatch of busy) {
      if (now - dispatch.sentAt < STEAL_AFTER_MS || !running.has(dispatch.worker)) {
        young = true;
        continue;
      }
      const { records, slots } = dispatch;
      const waiting: number[] = [];
      for (let i = 0; i < records.length; i++) {
        const record = records[i]!;
        if (
          record.slot === slots[i] &&
          record.transferList.length === 0 &&
          this.#slots.isPending(slots[i]!)
        ) {
          waiting.push(i);
        }
      }
      let ms = 0;
      let count = 0;
      for (const i of waiting.slice(Math.floor(waiting.length / 2))) {
        const record = records[i]!;
        const slot = slots[i]!;
        if (this.#slots.free === 0 || !this.#slots.steal(slot)) continue;
        this.#bySlot[slot] = undefined;
        this.#inWorkers--;
        record.slot = -1;
        ms += this.#costOf(record);
        count++;
        taken.push(record);
      }
      if (count > 0) this.#balancer.shrink(dispatch, count, ms);
    }
    if (taken.length > 0) {
      this.#stats.stolen += taken.length;
      for (let i = taken.length - 1; i >= 0; i--) this.#admission.unshift(taken[i]!);
      this.#pump();
    } else if (young && this.#stealTimer === undefined) {
      this.#stealTimer = startTimer(
        STEAL_AFTER_MS,
        () => {
          this.#stealTimer = undefined;
          this.#maybeSteal();
        },
        true,
      );
    }
  }

  #onWorkerResult(record: TaskRecord, slot: number, value: unknown, now: number): void {
    this.#observeCost(record, slot);
    const overran = this.#overran(record, slot);
    if (!this.#release(record, slot, now)) return;
    if (this.#settledAlready(record)) return;
    if (overran) {
      this.#timedOutLate(record);
      return;
    }
    this.#stats.completed++;
    this.#settle(record, true, value);
  }

  #onWorkerFailure(record: TaskRecord, slot: number, failure: unknown, now: number): void {
    const state = this.#slots.state(slot);
    const owner = this.#slots.owner(slot);
    const item = this.#slots.item(slot);
    if (isEnvelope(failure) && failure.__tandem !== 'skipped') this.#observeCost(record, slot);
    const overran =
      isEnvelope(failure) && failure.__tandem === 'error' && this.#overran(record, slot);
    if (!this.#release(record, slot, now)) return;
    if (this.#settledAlready(record)) return;
    if (overran) {
      this.#timedOutLate(record);
      return;
    }
    if (isEnvelope(failure)) {
      this.#onEnvelope(record, failure, owner);
      return;
    }
    const verdict = verdictOnLostWorker(
      {
        name: record.name,
        input: record.input,
        state,
        redispatches: record.redispatches,
        transferred: record.transferList.length > 0,
        exitCode: this.#controls.exitCode(owner),
        culpritFound: owner !== 0 && owner === this.#culprit,
        interrupted: owner !== 0 && owner === this.#interrupted,
        broken: this.#broken,
        destroyed: this.#destroyed,
      },
      failure,
    );
    if (verdict === 'again') {
      // It finished in a worker that died of nothing known: it may have left the cause behind
      // (a getter run as its value was cloned, a timer). Alone, it is known if it does again.
      if (state === SlotState.done && owner !== this.#culprit) record.solo = true;
      this.#redispatch(record);
      return;
    }
    if (verdict.crash) {
      this.#stats.failed++;
      this.#stats.crashed++;
      // map() names the item of a batch that was running when the worker died.
      if (record.mode & Mode.batch)
        Object.defineProperty(verdict.error, kBatchItem, { value: item });
    } else if (verdict.error instanceof UncloneableInputError) {
      // Admitted, then refused by postMessage: it failed on its own input.
      this.#stats.failed++;
    }
    this.#settle(record, false, verdict.error);
  }

  /**
   * The task ran longer than its `timeout` by its worker's clock (from its claim to its value
   * or error, async part included), yet its outcome reached the loop before the loop's timer
   * fired (the loop was busy). It times out all the same, so which of the two the loop met
   * first decides nothing.
   */
  #overran(record: TaskRecord, slot: number): boolean {
    return record.timeout !== undefined && this.#slots.ranMs(slot) > record.timeout;
  }

  #timedOutLate(record: TaskRecord): void {
    const error = new TaskTimeoutError(record.name, record.timeout!);
    record.reason = error;
    this.#stats.cancelled++;
    this.#settle(record, false, error);
  }

  /** A task cancelled or settled while in its worker: only its bookkeeping is left. */
  #settledAlready(record: TaskRecord): boolean {
    if (record.settled) this.#maybeIdle(record);
    else if (record.reason !== undefined) this.#settle(record, false, record.reason);
    else return false;
    return true;
  }

  #onEnvelope(record: TaskRecord, envelope: Envelope, owner: number): void {
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
      this.#stats.failed++;
      this.#settle(record, false, deserializeError(envelope.error));
    }
  }

  /** Back to the head of the queue (the caller pumps). */
  #redispatch(record: TaskRecord): void {
    record.redispatches++;
    this.#admission.unshift(record);
  }

  /**
   * Cancels a task with `reason`. Queued: it leaves the queue and rejects now. In a worker but
   * not started: the worker will skip it, and it rejects now. Running: its `ctx.signal` aborts,
   * and it rejects once the worker lets go of it, or once the worker is terminated after `grace`.
   */
  #cancel(record: TaskRecord, reason: unknown, state: number): void {
    if (record.reason !== undefined || record.settled) return;
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
      case 'worker':
        if (this.#slots.cancel(record.slot, state)) {
          this.#settle(record, false, reason);
          return;
        }
        record.cancelledAt = clock().now();
        this.#controls.abort(this.#slots.owner(record.slot), record.slot, record.id);
        record.graceTimer = startTimer(this.options.grace, () => this.#terminateOwner(record));
    }
  }

  /**
   * The running task ignored its abort for `grace` ms: end its worker (Piscina replaces it).
   * The tasks running beside it there (async ones, or a sync one it was waiting behind) were
   * interrupted, not to blame: they run again (see `#onWorkerExit`).
   */
  #terminateOwner(record: TaskRecord): void {
    if (record.where !== 'worker') return;
    const owner = this.#slots.owner(record.slot);
    this.#endedByPool.add(owner);
    this.#controls.terminate(owner);
  }

  #settle(record: TaskRecord, ok: boolean, value: unknown): void {
    record.deadlineTimer?.cancel();
    record.timeoutTimer?.cancel();
    record.unlisten?.();
    record.unlisten = undefined;
    if (!record.settled) {
      record.settled = true;
      if (this.#listeners.length > 0) this.#notifySettled(record, ok, value);
      if (ok) record.resolve(value);
      else if (record.reject !== undefined) record.reject(value);
      else record.resolve(new Rejection(value));
    }
    this.#maybeIdle(record);
  }

  #notifySettled(record: TaskRecord, ok: boolean, value: unknown): void {
    const { submittedAt, dispatchedAt, releasedAt, cancelledAt } = record;
    // Most tasks settle as their worker lets go of them: that moment is the end.
    const now = releasedAt > 0 ? releasedAt : clock().now();
    const event: TaskSettledEvent = {
      task: record.name,
      outcome: outcomeOf(ok, value, record.reason),
      waitMs: (dispatchedAt > 0 ? dispatchedAt : now) - submittedAt,
      runMs: dispatchedAt > 0 ? now - dispatchedAt : 0,
      orphanMs: cancelledAt > 0 ? now - cancelledAt : 0,
    };
    notifyListeners(this.#listeners, event);
  }

  /**
   * Calls `listener` once for each task as it settles, with its name, outcome and timings
   * (see {@link TaskSettledEvent}), synchronously and before the caller's promise settles.
   * Returns the function that removes it. With no listener the pool builds nothing per task.
   *
   * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`) if `listener` is not a function.
   */
  onSettled(listener: TaskSettledListener): () => void {
    checkFunction('listener', listener);
    this.#listeners = [...this.#listeners, listener];
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      const at = this.#listeners.indexOf(listener);
      this.#listeners = this.#listeners.filter((_, i) => i !== at);
    };
  }

  /**
   * Ms a task of `name` submitted now would likely wait before a worker starts it: the work
   * the workers hold plus the queue (each queued task costed as one of `name`), shared over the
   * threads. Costs are the measured moving averages per task name (1 ms for a name not seen
   * yet). 0 when a worker is idle and nothing is queued; `Infinity` once the pool is closing,
   * destroyed or broken, or while no worker is alive. An estimate for admission control and
   * `Retry-After`, not a promise.
   *
   * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`) if `name` is not a string,
   * UnknownTaskError (`ERR_TANDEM_UNKNOWN_TASK`) if the module has no task `name`.
   */
  estimateWait(name: string): number {
    if (typeof name !== 'string') {
      throw new InvalidArgumentError(`Expected the task name to be a string, got ${typeof name}`);
    }
    if (!this.#known.has(name)) throw new UnknownTaskError(name, this.taskNames);
    const threads = this.#balancer.workers;
    const down = this.#closing !== undefined || this.#destroyed || this.#broken !== undefined;
    if (down || threads === 0) return Number.POSITIVE_INFINITY;
    const held = this.#balancer.heldMs();
    const queued = this.#admission.size * this.#costs.estimate(name);
    return (held + queued) / threads;
  }

  // A task counts as settled for close() only once no worker holds it any more.
  #maybeIdle(record: TaskRecord): void {
    if (record.where !== 'done' || record.counted) return;
    record.counted = true;
    if (--this.#unsettled === 0) {
      this.#loopLag.stop();
      this.#idle?.resolve();
    }
  }

  #onControl([tag, slot, id, value]: ControlMessage, threadId: number): void {
    if (tag === ToLoop.loaded) {
      if (value === undefined) {
        this.#startFailures = 0;
        this.#loadFailure = undefined;
      } else {
        this.#onLoadFailed(threadId, deserializeError(value as never) as Error);
      }
      return;
    }
    if (tag === ToLoop.stray) {
      this.#stats.strayErrors++;
      const error = deserializeError(value as never);
      if (strayErrorChannel.hasSubscribers) strayErrorChannel.publish({ error, threadId });
      this.#retire(threadId);
      return;
    }
    if (tag === ToLoop.answered) {
      this.#onAnswered(slot, id, value, threadId);
      return;
    }
    if (tag === ToLoop.settled) {
      this.#onSettledEarly(value as unknown[]);
      return;
    }
    const record = this.#bySlot[slot];
    // Nothing reaches the caller once its task is cancelled or settled.
    if (record === undefined || record.id !== id || record.settled || record.reason !== undefined) {
      return;
    }
    if (tag === ToLoop.progress) {
      try {
        record.onProgress?.(value);
      } catch (error) {
        this.#cancel(record, new CallbackError('onProgress', error), SlotState.cancelled);
        return;
      }
    } else if (tag === ToLoop.started && record.timeout !== undefined) {
      const timeout = record.timeout;
      record.timeoutTimer?.cancel(); // started again on a new worker after a crash
      // Node's timers count whole ms from a loop time rounded down: one armed for `timeout`
      // may fire up to 1 ms early. Past ⌈timeout⌉ + 1 ms the task has run at least `timeout`.
      const delay = Math.ceil(timeout) + 1;
      record.timeoutTimer = startTimer(delay, () => {
        // Finished in time by its worker's clock, its answer waiting behind a busy loop: it
        // stands (the mirror of #overran: neither way does the race decide).
        if (record.where === 'worker' && this.#slots.finishedWithin(record.slot, timeout)) return;
        this.#cancel(record, new TaskTimeoutError(record.name, timeout), SlotState.timedOut);
      });
    }
  }

  /** Worker `threadId` can no longer be trusted: it takes no more tasks and ends once empty. */
  #retire(threadId: number): void {
    if (threadId === 0 || this.#destroyed) return;
    this.#balancer.retire(threadId);
    this.#endRetired();
  }

  #endRetired(): void {
    for (const threadId of this.#balancer.emptied()) {
      // One that could not load the module is ended after its pause (see #onLoadFailed).
      if (!this.#loadFailed.has(threadId)) this.#controls.terminate(threadId);
    }
  }

  /**
   * A worker that replaced one that died could not load the task module (it threw at its top,
   * or a file was being rewritten): it serves nothing, and no task goes to it any more. It is
   * ended after a pause that grows with each such failure in a row (so that a transient cause
   * can pass), and the tasks it held, none started, run elsewhere; Piscina starts another.
   * {@link MAX_START_FAILURES} in a row break the pool (see `#onWorkerExit`).
   */
  #onLoadFailed(threadId: number, error: Error): void {
    if (!this.#started || this.#destroyed || this.#broken !== undefined) return;
    // TaskModuleLoadError or InvalidTaskModuleError, from the worker.
    this.#loadFailure = error;
    // Counted now, in the order load outcomes arrive (a success arriving later resets the
    // count), not when the worker exits after its pause.
    this.#loadFailed.add(threadId);
    if (++this.#startFailures >= MAX_START_FAILURES) {
      this.#break(
        new PoolBrokenError(
          `${MAX_START_FAILURES} workers in a row could not load the task module`,
          {
            cause: error,
          },
        ),
      );
      return;
    }
    this.#balancer.retire(threadId);
    const pause = LOAD_RETRY_MS * 10 ** (this.#startFailures - 1);
    startTimer(pause, () => this.#controls.terminate(threadId), true);
  }

  /** Worker `threadId` is gone, and every answer it sent has been handled: what it held is lost. */
  #onWorkerExit(threadId: number, code: number, loaded: boolean, cause: unknown): void {
    const lost = this.#balancer.dispatchesOf(threadId);
    this.#balancer.forget(threadId);
    // Read before its tasks' failures are handled (they release their slots). Did one of them
    // take it down? Then the others that finished are innocent for sure. Was it ended for one
    // task known to be at fault (one the pool ended past `grace`, or one that called
    // process.exit())? Then the others running there were interrupted, not to blame, too.
    const culprit = this.#slots.culpritIn(threadId);
    const ended = this.#endedByPool.delete(threadId) || culprit === 'marked';
    this.#interrupted = ended ? threadId : 0;
    this.#culprit = ended || culprit !== undefined ? threadId : 0;
    // Newest first, as within each (see #onDispatchFailure): the tasks run again keep their order.
    for (const dispatch of lost.reverse()) {
      this.#sent[dispatch.slots[0]!] = undefined;
      this.#onDispatchFailure(dispatch, cause);
    }
    this.#culprit = 0;
    this.#interrupted = 0;
    if (this.#destroyed || this.#broken !== undefined) return;
    this.#stats.workersReplaced++;
    if (this.#loadFailed.delete(threadId) || loaded) return;
    if (++this.#startFailures >= MAX_START_FAILURES) {
      this.#break(
        new PoolBrokenError(
          `${MAX_START_FAILURES} workers in a row ended before loading the task module`,
          { cause: this.#loadFailure ?? new WorkerCrashedError('(loading the task module)', code) },
        ),
      );
    }
  }

  /** Like Python's BrokenProcessPool: everything waiting fails now, and so does every later run. */
  #break(error: PoolBrokenError): void {
    this.#broken = error;
    for (const record of this.#admission.drain()) {
      record.where = 'done';
      this.#stats.failed++;
      this.#settle(record, false, error);
    }
    // Tasks in workers settle now; their records are counted out as their workers end.
    for (const record of this.#bySlot) {
      if (record === undefined) continue;
      if (!record.settled) this.#stats.failed++;
      this.#settle(record, false, error);
    }
    this.#loopLag.stop();
    this.#piscinaDown ??= this.#piscina.destroy();
  }

  /** Tasks an idle worker would hold of task `name` now. */
  #depthFor(name: string): number {
    return this.#roomOf(0, 0, this.#costs.estimate(name));
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
      depth: this.#depthFor(this.#lastName),
      maxQueue,
      onFull,
      grace,
      startTimeout,
      queued: this.#admission.size,
      inWorkers: this.#inWorkers,
      running: this.#slots.countRunning(),
      workersBusy: this.#balancer.busyWorkers(),
      completed: s.completed,
      failed: s.failed,
      cancelled: s.cancelled,
      crashed: s.crashed,
      workersReplaced: s.workersReplaced,
      strayErrors: s.strayErrors,
      stolen: s.stolen,
      messages: s.messages,
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
    this.#stealTimer?.cancel();
    this.#loopLag.stop();
    for (const record of this.#admission.drain()) {
      record.where = 'done';
      this.#settle(record, false, record.reason ?? new PoolDestroyedError(record.name));
    }
    this.#piscinaDown ??= this.#piscina.destroy();
    await this.#piscinaDown;
    this.#controls.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** A group answer's failed task as the envelope a one-task message would have thrown. */
function envelopeOf(kind: number, error: unknown): Envelope {
  if (kind === Answer.skipped) return { [ENVELOPE_KEY]: 'skipped' };
  const tag = kind === Answer.crashed ? 'crashed' : 'error';
  return { [ENVELOPE_KEY]: tag, error: error as never };
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
