/**
 * `BullmqBackend`: the `TaskBackend` an Engine is started with to run its tasks on
 * `tandem-worker` processes through BullMQ. A run is a job (a `map` batch is one job); its
 * result comes back on the producer's one event reader and settles the caller exactly once.
 * This file is the lifecycle: start, submit, settle, close. Waiting jobs are in `pending.ts`,
 * events in `events.ts`, the lost-event net in `reconcile.ts`, cancellation in `cancel.ts`.
 *
 * @module
 */
import { AsyncResource } from 'node:async_hooks';
import {
  type BackendStartContext,
  type BatchOutcome,
  CallbackError,
  clock,
  InvalidArgumentError,
  kRunBatch,
  PoolClosedError,
  PoolDestroyedError,
  type PoolStats,
  QueueFullError,
  type RunOptions,
  type TaskBackend,
  type TaskInput,
  type TaskMap,
  type TaskResult,
  type TaskSettledListener,
  TaskTimeoutError,
  UncloneableInputError,
  WorkerCrashedError,
} from '@tandem/workers';
import {
  checkDuration,
  checkFunction,
  checkIdempotencyKey,
  checkSignal,
  type Deferred,
  deferred,
  startTimer,
  type Timer,
} from '@tandem/workers/internal';
import type { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { AbortFanout } from './abort-fanout.js';
import { Canceller } from './cancel.js';
import { isConnectionError, pause } from './connection-errors.js';
import { JobLostError, WireFormatError } from './errors.js';
import type { EventFeed } from './events.js';
import { readFailure } from './failure.js';
import { keyedJobId, randomJobId } from './job-id.js';
import { type JobEntry, PendingJobs, type Waiter } from './pending.js';
import type { ResolvedBullmqOptions } from './producer-options.js';
import { type Found, Reconciler } from './reconcile.js';
import { readWorkers, type WorkerCensus } from './registry-reader.js';
import { startBackend } from './start.js';
import { checkPayload, decode, encode, type JobData, WIRE_VERSION } from './wire.js';

/** The registry is read this often (workers refresh it every 5 s). */
const REGISTRY_MS = 5000;
/** Queue counts behind `estimateWait` are refreshed at most this often. */
const COUNTS_MS = 1000;
/** `destroy()` gives its cancel commands and the connections' goodbyes this long. */
const GOODBYE_MS = 2000;

/** What `start` hands the constructor. */
export interface Opened {
  queue: Queue;
  client: Redis;
  feed: EventFeed;
  census: WorkerCensus;
}

/**
 * Runs tasks on remote `tandem-worker` processes through BullMQ. Made by `bullmq(…)` and
 * started by `Engine.start({ backend })`; `engine.pool` is this object.
 *
 * Every run settles exactly once: with its result, its error as thrown by the worker (class,
 * `code`, `cause` kept), `signal.reason`, `TaskTimeoutError` (its `deadline`, timed here, or
 * its `timeout`, timed by the worker), `WorkerCrashedError` (the job stalled past the
 * worker's `maxStalledCount`), `JobLostError` (the job vanished from Redis),
 * `PayloadTooLargeError`, `UncloneableInputError`, `QueueFullError`, `PoolClosedError` or
 * `PoolDestroyedError`.
 */
export class BullmqBackend<Tasks extends TaskMap = TaskMap> implements TaskBackend<Tasks> {
  readonly options: ResolvedBullmqOptions;
  readonly #startTimeout: number;
  readonly #maxQueue: number;
  readonly #onFull: 'wait' | 'reject';
  readonly #queue: Queue;
  readonly #client: Redis;
  readonly #feed: EventFeed;
  readonly #jobs: PendingJobs;
  readonly #reconciler: Reconciler;
  readonly #canceller: Canceller;
  readonly #aborts: AbortFanout<[JobEntry, Waiter]>;
  readonly #startedAt = clock().now();
  #census: WorkerCensus;
  /** Callers waiting for room (`onFull: 'wait'`), first come first served. */
  readonly #room: Deferred<void>[] = [];
  #idle: Deferred<void> | undefined;
  #closing: Promise<void> | undefined;
  #destroying: Promise<void> | undefined;
  #destroyed = false;
  #added = 0;
  #reconcileTimer: Timer | undefined;
  #registryTimer: Timer | undefined;
  #counts: { waiting: number; at: number; refreshing: boolean } = {
    waiting: 0,
    at: Number.NEGATIVE_INFINITY,
    refreshing: false,
  };

  /**
   * Connects to Redis, reads the event stream's tail and the worker registry, and starts the
   * event reader. Bounded by `context.startTimeout` and `context.signal`; nothing stays open
   * when it fails.
   *
   * @throws StartTimeoutError (`ERR_TANDEM_START_TIMEOUT`) when Redis cannot be reached in time,
   * `signal.reason`.
   */
  static start<Tasks extends TaskMap = TaskMap>(
    options: ResolvedBullmqOptions,
    context: BackendStartContext,
  ): Promise<BullmqBackend<Tasks>> {
    return startBackend(
      options,
      context,
      (opened, start) => new BullmqBackend<Tasks>(options, start, opened),
    );
  }

  private constructor(
    options: ResolvedBullmqOptions,
    start: { startTimeout: number; maxQueue: number; onFull: 'wait' | 'reject' },
    opened: Opened,
  ) {
    this.options = options;
    this.#startTimeout = start.startTimeout;
    this.#maxQueue = start.maxQueue;
    this.#onFull = start.onFull;
    this.#queue = opened.queue;
    this.#client = opened.client;
    this.#feed = opened.feed;
    this.#census = opened.census;
    this.#jobs = new PendingJobs(() => this.#onLeave());
    this.#reconciler = new Reconciler(
      this.#queue,
      this.#client,
      this.#jobs,
      () => this.#feed.lastSeen,
      (entry, found) => this.#settleFound(entry, found),
    );
    this.#canceller = new Canceller(
      this.#queue,
      this.#client,
      options.keys,
      this.#jobs,
      () => this.#destroyed,
    );
    this.#aborts = new AbortFanout(([entry, waiter], reason) =>
      this.#canceller.cancel(entry, waiter, reason),
    );
    this.#feed.handlers = {
      active: (id) => {
        const entry = this.#jobs.get(id);
        if (entry !== undefined && entry.activeAt === 0) entry.activeAt = clock().now();
      },
      requeued: (id) => {
        const entry = this.#jobs.get(id);
        if (entry !== undefined) entry.activeAt = 0;
      },
      completed: (id, returnvalue) => {
        const entry = this.#jobs.get(id);
        if (entry !== undefined) this.#settleFound(entry, { state: 'completed', returnvalue });
      },
      failed: (id, failedReason) => {
        const entry = this.#jobs.get(id);
        if (entry !== undefined) this.#settleFound(entry, { state: 'failed', failedReason });
      },
      progress: (id, data) => this.#onProgress(id, data),
      // An add of an id that exists gets no further event if that job has finished.
      duplicated: (id) => this.#lookUpLater(id),
      removed: (id) => this.#lookUpLater(id),
      reconnected: () => void this.#reconciler.checkGap(),
      error: () => {},
    };
    this.#feed.run(() => {});
    this.#scheduleReconcile();
    this.#scheduleRegistry();
  }

  /** `'bullmq'`. */
  get kind(): 'bullmq' {
    return 'bullmq';
  }

  /** Threads of the live registered workers (1 while none is registered): sizes `map` batches. */
  get threads(): number {
    return Math.max(1, this.#census.threads);
  }

  /** Ms that start-up was allowed to take. */
  get startTimeout(): number {
    return this.#startTimeout;
  }

  /** Task names the live workers run (their union); undefined while no worker is registered. */
  get taskNames(): readonly string[] | undefined {
    return this.#census.taskNames;
  }

  /**
   * Runs task `name` on `input` on a worker: one job. `timeout` is timed by the worker from
   * the job's start; `deadline` here, from this call (and passed on, so a worker does not start
   * a job past it). `transfer` is ignored (nothing can be moved to another process).
   * `idempotencyKey`: runs of the same task and key are one job, for as long as it is kept
   * (`keep.age`) — a second run awaits the first one's result; see {@link awaitJob}.
   *
   * @throws (as a rejection) UncloneableInputError, PayloadTooLargeError, PoolClosedError,
   * QueueFullError (`onFull: 'reject'`) and option errors before anything is sent.
   */
  run<Name extends keyof Tasks & string>(
    name: Name,
    input: TaskInput<Tasks[Name]>,
    options: RunOptions = {},
  ): Promise<TaskResult<Tasks[Name]>> {
    try {
      return this.#submit(name, input, false, options) as Promise<TaskResult<Tasks[Name]>>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `map`'s entry: the items as one job; only `signal` and `deadline` apply. */
  [kRunBatch](name: string, items: unknown[], options: RunOptions): Promise<BatchOutcome> {
    try {
      return this.#submit(name, items, true, options) as Promise<BatchOutcome>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #submit(name: string, input: unknown, batch: boolean, options: RunOptions): Promise<unknown> {
    const o = readRunOptions(options);
    if (typeof name !== 'string') {
      throw new InvalidArgumentError(`Expected the task name to be a string, got ${typeof name}`);
    }
    o.signal?.throwIfAborted();
    if (this.#closing !== undefined || this.#destroyed) throw new PoolClosedError();
    let text: string;
    try {
      text = encode(input);
    } catch (error) {
      throw new UncloneableInputError(
        name,
        batch ? 'inputs' : 'input',
        describeCloneFailure(error),
      );
    }
    checkPayload('input', text, this.options.maxPayloadBytes);
    const data: JobData = { v: WIRE_VERSION, i: text };
    if (batch) data.b = 1;
    if (o.timeout !== undefined && Number.isFinite(o.timeout)) data.t = o.timeout;
    if (o.deadline !== undefined && Number.isFinite(o.deadline)) data.d = Date.now() + o.deadline;
    if (o.onProgress !== undefined) data.p = 1;
    const id = o.idempotencyKey === undefined ? randomJobId() : keyedJobId(name, o.idempotencyKey);
    const existing = this.#jobs.get(id);
    if (existing !== undefined && !existing.cancelling) return this.#wait(existing, o);
    if (existing === undefined && this.#hasRoom()) return this.#enqueue(id, name, batch, data, o);
    if (existing === undefined && this.#onFull === 'reject')
      throw new QueueFullError(this.#maxQueue);
    return this.#enqueueLater(id, name, batch, data, o, existing);
  }

  #hasRoom(): boolean {
    return this.#jobs.size + this.#room.length < this.#maxQueue;
  }

  /** Waits for room (or for a job with the same key to finish cancelling), then enqueues. */
  async #enqueueLater(
    id: string,
    name: string,
    batch: boolean,
    data: JobData,
    o: ReadRunOptions,
    existing: JobEntry | undefined,
  ): Promise<unknown> {
    const submittedAt = clock().now();
    const gate = deferred<void>();
    const onAbort = () => gate.reject(o.signal!.reason);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      o.deadline === undefined
        ? undefined
        : startTimer(o.deadline, () =>
            gate.reject(new TaskTimeoutError(name, o.deadline!, 'deadline')),
          );
    try {
      if (existing !== undefined) {
        await Promise.race([existing.finished.promise, gate.promise]);
      } else {
        this.#room.push(gate);
        await gate.promise;
      }
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
      timer?.cancel();
      const at = this.#room.indexOf(gate);
      if (at !== -1) this.#room.splice(at, 1);
    }
    if (this.#destroyed) throw new PoolDestroyedError(name);
    const left = o.deadline === undefined ? undefined : o.deadline - (clock().now() - submittedAt);
    const again = this.#jobs.get(id);
    if (again !== undefined && !again.cancelling)
      return this.#wait(again, { ...o, deadline: left });
    if (again !== undefined || (existing !== undefined && !this.#hasRoom())) {
      return this.#enqueueLater(id, name, batch, data, { ...o, deadline: left }, again);
    }
    return this.#enqueue(id, name, batch, data, { ...o, deadline: left });
  }

  #enqueue(
    id: string,
    name: string,
    batch: boolean,
    data: JobData,
    o: ReadRunOptions,
  ): Promise<unknown> {
    const entry = this.#jobs.create(id, name, id.startsWith('k-'), batch);
    const promise = this.#wait(entry, o);
    void this.#add(entry, data);
    return promise;
  }

  /** A new waiter on `entry`, with its own signal, deadline and progress callback. */
  #wait(entry: JobEntry, o: ReadRunOptions): Promise<unknown> {
    const onProgress = o.onProgress === undefined ? undefined : AsyncResource.bind(o.onProgress);
    const waiter = this.#jobs.join(entry, onProgress);
    if (o.signal !== undefined) waiter.unlisten = this.#aborts.subscribe(o.signal, [entry, waiter]);
    const deadline = o.deadline;
    if (deadline !== undefined) {
      waiter.deadlineTimer = startTimer(Math.max(0, deadline), () =>
        this.#canceller.cancel(
          entry,
          waiter,
          new TaskTimeoutError(entry.name, deadline, 'deadline'),
        ),
      );
    }
    return waiter.caller.promise;
  }

  /**
   * Adds the job, retrying with the same id while the connection is down (a duplicate add is a
   * no-op), until it lands, its callers give up, or the backend is destroyed.
   */
  async #add(entry: JobEntry, data: JobData): Promise<void> {
    const { attempts, backoff, keep } = this.options;
    const opts: JobsOptions = {
      jobId: entry.id,
      attempts,
      removeOnComplete: keep,
      removeOnFail: keep,
    };
    if (backoff !== undefined) opts.backoff = backoff;
    this.#added++;
    for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
      try {
        await this.#queue.add(entry.name, data, opts);
        entry.added = true;
        break;
      } catch (error) {
        if (!isConnectionError(error)) {
          // Refused (not a dropped connection): the job was not created.
          this.#jobs.finish(entry, false, error);
          break;
        }
        if (entry.done || entry.cancelling || this.#destroyed) break;
        await pause(delay);
      }
    }
    entry.addDone.resolve();
  }

  #onProgress(id: string, data: unknown): void {
    const entry = this.#jobs.get(id);
    if (entry === undefined || entry.done) return;
    let value: unknown;
    try {
      value = decode(data);
    } catch {
      return; // progress is advisory: an unreadable one is dropped
    }
    for (const waiter of [...entry.waiters]) {
      if (waiter.settled || waiter.reason !== undefined || waiter.onProgress === undefined)
        continue;
      try {
        waiter.onProgress(value);
      } catch (error) {
        this.#canceller.cancel(entry, waiter, new CallbackError('onProgress', error));
      }
    }
  }

  /** Settles `entry` from its end as read from an event or from Redis. */
  #settleFound(entry: JobEntry, found: Found): void {
    if (entry.done) return;
    if (entry.signalled) this.#canceller.clearFlag(entry.id);
    if (found.state === 'lost') {
      this.#jobs.finish(entry, false, new JobLostError(entry.id, found.detail));
    } else if (found.state === 'failed') {
      const read = readFailure(entry.id, found.failedReason);
      const error =
        'stalled' in read
          ? new WorkerCrashedError(entry.name, undefined, { cause: new Error(read.stalled) })
          : read.error;
      this.#jobs.finish(entry, false, error);
    } else {
      let value: unknown;
      try {
        value = decode(found.returnvalue);
        if (entry.batch) checkBatchOutcome(value);
      } catch (error) {
        this.#jobs.finish(entry, false, error);
        return;
      }
      this.#jobs.finish(entry, true, value);
    }
  }

  /** Looks a job up once its add has settled (an event may beat the add's reply). */
  #lookUpLater(id: string): void {
    const entry = this.#jobs.get(id);
    if (entry === undefined || entry.cancelling) return;
    void entry.addDone.promise.then(() => this.#reconciler.check(entry));
  }

  #onLeave(): void {
    // First come, first served: room for the longest waiting caller.
    if (this.#room.length > 0 && this.#jobs.size + this.#room.length <= this.#maxQueue) {
      this.#room.shift()!.resolve();
    }
    if (this.#jobs.size === 0 && this.#room.length === 0) this.#idle?.resolve();
  }

  #scheduleReconcile(): void {
    this.#reconcileTimer = startTimer(
      this.options.reconcileInterval,
      () => {
        if (this.#destroyed) return;
        void this.#reconciler.checkGap().finally(() => {
          if (!this.#destroyed) this.#scheduleReconcile();
        });
      },
      true,
    );
  }

  #scheduleRegistry(): void {
    this.#registryTimer = startTimer(
      REGISTRY_MS,
      () => {
        if (this.#destroyed) return;
        void this.#refreshCensus().finally(() => {
          if (!this.#destroyed) this.#scheduleRegistry();
        });
      },
      true,
    );
  }

  async #refreshCensus(): Promise<WorkerCensus> {
    try {
      this.#census = await readWorkers(this.#client, this.options.keys);
    } catch {
      // Keep the last census while Redis is unreachable.
    }
    return this.#census;
  }

  /**
   * A snapshot as a `PoolStats`. Here `queued` counts this producer's jobs not yet started by
   * a worker (and callers waiting for room), `inWorkers` = `running` its started ones, `threads`
   * = `size` the live workers' threads; `waitTime` is add → start, `runTime` start → end.
   * Fields that describe local threads (`depth`, `concurrentTasksPerWorker`, `grace`,
   * `workersBusy`, `workersReplaced`, `strayErrors`, `stolen`) are 0; `messages` counts jobs added.
   */
  stats(): PoolStats {
    let queued = this.#room.length;
    let running = 0;
    for (const entry of this.#jobs.all()) {
      if (entry.activeAt > 0) running++;
      else queued++;
    }
    const c = this.#jobs.counters;
    const threads = this.#census.threads;
    const elapsed = clock().now() - this.#startedAt;
    return {
      threads,
      size: threads,
      concurrentTasksPerWorker: 0,
      depth: 0,
      maxQueue: this.#maxQueue,
      onFull: this.#onFull,
      grace: 0,
      queued,
      inWorkers: running,
      running,
      workersBusy: 0,
      completed: c.completed,
      failed: c.failed,
      cancelled: c.cancelled,
      crashed: c.crashed,
      workersReplaced: 0,
      strayErrors: 0,
      stolen: 0,
      messages: this.#added,
      broken: false,
      startTimeout: this.#startTimeout,
      waitTime: c.waitTime(),
      runTime: c.runTime(),
      utilization: elapsed > 0 && threads > 0 ? Math.min(1, c.busyMs / (elapsed * threads)) : 0,
    };
  }

  /**
   * Calls `listener` once per run as it settles, synchronously, before the caller's promise
   * settles, with the same `TaskSettledEvent` as a local pool: `waitMs` = submit → a worker
   * started the job, `runMs` = start → end as seen here. Returns the function that removes it.
   *
   * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`) if `listener` is not a function.
   */
  onSettled(listener: TaskSettledListener): () => void {
    checkFunction('listener', listener);
    return this.#jobs.onSettled(listener);
  }

  /**
   * Ms a job of `name` added now would likely wait before a worker starts it: jobs waiting in
   * the queue (all producers', counted at most once a second off the call path) × the mean run
   * time of `name` seen here ÷ the live workers' threads. `Infinity` with no live worker or once
   * closing. An estimate for admission control, not a promise.
   *
   * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`) if `name` is not a string.
   */
  estimateWait(name: string): number {
    if (typeof name !== 'string') {
      throw new InvalidArgumentError(`Expected the task name to be a string, got ${typeof name}`);
    }
    if (this.#closing !== undefined || this.#destroyed || this.#census.threads === 0) {
      return Number.POSITIVE_INFINITY;
    }
    this.#refreshCounts();
    let queuedHere = 0;
    for (const entry of this.#jobs.all()) if (entry.activeAt === 0) queuedHere++;
    const waiting = Math.max(this.#counts.waiting, queuedHere);
    return (waiting * this.#jobs.runEstimate(name)) / this.#census.threads;
  }

  #refreshCounts(): void {
    const counts = this.#counts;
    if (counts.refreshing || clock().now() - counts.at < COUNTS_MS) return;
    counts.refreshing = true;
    this.#queue
      .getJobCounts('waiting', 'prioritized')
      .then(
        (got) => {
          counts.waiting = (got.waiting ?? 0) + (got.prioritized ?? 0);
          counts.at = clock().now();
        },
        () => {},
      )
      .finally(() => {
        counts.refreshing = false;
      });
  }

  /**
   * Awaits the job of task `name` and idempotency key `key` (see `awaitJob`): joins this
   * producer's wait if it has one, else looks the job up in Redis.
   */
  awaitKeyed(
    name: string,
    key: string,
    options: {
      signal?: AbortSignal | undefined;
      onProgress?: ((value: unknown) => void) | undefined;
    },
  ): Promise<unknown> {
    if (this.#closing !== undefined || this.#destroyed)
      return Promise.reject(new PoolClosedError());
    options.signal?.throwIfAborted();
    const id = keyedJobId(name, key);
    const o: ReadRunOptions = { signal: options.signal, onProgress: options.onProgress };
    const existing = this.#jobs.get(id);
    if (existing !== undefined && !existing.cancelling) return this.#wait(existing, o);
    if (existing !== undefined)
      return existing.finished.promise.then(() => this.awaitKeyed(name, key, options));
    const entry = this.#jobs.create(id, name, true, false);
    entry.added = true;
    entry.addDone.resolve();
    const promise = this.#wait(entry, o);
    void this.#reconciler.check(entry);
    return promise;
  }

  /** Job counts of the queue (all producers) and the live workers, for a dashboard. */
  async queueCounts(): Promise<QueueCounts> {
    const [counts, census] = await Promise.all([
      this.#queue.getJobCounts(
        'waiting',
        'prioritized',
        'active',
        'completed',
        'failed',
        'delayed',
      ),
      this.#refreshCensus(),
    ]);
    const n = (key: string) => counts[key] ?? 0;
    return {
      waiting: n('waiting') + n('prioritized'),
      active: n('active'),
      completed: n('completed'),
      failed: n('failed'),
      delayed: n('delayed'),
      workers: census.workers,
      threads: census.threads,
    };
  }

  /**
   * Takes no new runs, waits for this producer's jobs to settle, then closes the connections.
   * Past `timeout` ms (default 30 000; `Infinity` waits for ever) what is left is destroyed as
   * by `destroy()`. Idempotent: later calls return the same promise.
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
    if (this.#jobs.size > 0 || this.#room.length > 0) {
      this.#idle = deferred<void>();
      const timer = startTimer(timeout, () => this.#idle?.resolve());
      await this.#idle.promise;
      timer.cancel();
    }
    await this.destroy();
  }

  /**
   * Ends now. Every pending run rejects with `PoolDestroyedError` (`ERR_TANDEM_POOL_DESTROYED`);
   * jobs without an idempotency key are removed from the queue (or told to stop, if running);
   * keyed jobs are left to run (a restarted producer can `awaitJob` them). Then the connections
   * close. Idempotent.
   */
  destroy(): Promise<void> {
    this.#destroying ??= this.#destroy();
    return this.#destroying;
  }

  async #destroy(): Promise<void> {
    this.#destroyed = true;
    this.#reconcileTimer?.cancel();
    this.#registryTimer?.cancel();
    for (const gate of this.#room.splice(0)) gate.resolve(); // they see #destroyed
    const goodbyes: Promise<void>[] = [];
    for (const entry of [...this.#jobs.all()]) {
      const wanted = !entry.cancelling;
      this.#jobs.finish(entry, false, new PoolDestroyedError(entry.name));
      if (!entry.keyed && wanted) goodbyes.push(this.#canceller.abandon(entry).catch(() => {}));
    }
    await bounded(Promise.all(goodbyes), GOODBYE_MS);
    const closed = await bounded(
      Promise.allSettled([this.#feed.close(), this.#queue.close().then(() => this.#client.quit())]),
      GOODBYE_MS,
    );
    if (!closed) await Promise.allSettled([this.#feed.disconnect(), this.#queue.disconnect()]);
    if (!closed) this.#client.disconnect();
    this.#idle?.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Counts for a dashboard line; see `queueCounts`. */
export interface QueueCounts {
  /** Jobs waiting for a worker (prioritized included). */
  waiting: number;
  active: number;
  completed: number;
  failed: number;
  /** Jobs waiting for a retry's backoff. */
  delayed: number;
  /** Live registered workers. */
  workers: number;
  /** Their threads. */
  threads: number;
}

interface ReadRunOptions {
  signal?: AbortSignal | undefined;
  timeout?: number | undefined;
  deadline?: number | undefined;
  onProgress?: ((value: unknown) => void) | undefined;
  idempotencyKey?: string | undefined;
}

/** Reads each run option once (a getter or Proxy trap that throws becomes a coded error). */
function readRunOptions(options: unknown): ReadRunOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(
      `Expected options to be an object, got ${options === null ? 'null' : typeof options}`,
    );
  }
  let read: RunOptions;
  try {
    read = { ...(options as RunOptions) };
  } catch (cause) {
    throw new InvalidArgumentError('Could not read options: reading them threw (see error.cause)', {
      cause,
    });
  }
  const { signal, timeout, deadline, transfer, onProgress, idempotencyKey } = read;
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
  return { signal, timeout, deadline, onProgress, idempotencyKey };
}

/** What `v8.serialize` refused, in the words of its error. */
function describeCloneFailure(error: unknown): string {
  try {
    const message = (error as Error).message;
    return typeof message === 'string' ? message.replace(/ could not be cloned\.?$/, '') : 'value';
  } catch {
    return 'value';
  }
}

function checkBatchOutcome(value: unknown): asserts value is BatchOutcome {
  const outcome = value as Partial<BatchOutcome> | null;
  if (
    typeof outcome !== 'object' ||
    outcome === null ||
    !Array.isArray(outcome.values) ||
    !Array.isArray(outcome.errors)
  ) {
    throw new WireFormatError('a batch result that is not { values, errors }');
  }
}

/** True if `promise` settled within `ms`. */
async function bounded(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: Timer | undefined;
  const late = new Promise<false>((resolve) => {
    timer = startTimer(ms, () => resolve(false), true);
  });
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    timer?.cancel();
  }
}
