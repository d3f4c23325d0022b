/**
 * `BullmqBackend`: the `TaskBackend` an Engine is started with to run its tasks on
 * `tandem-worker` processes through BullMQ. A run is a job (a `map` batch is one job); its
 * result comes back on the producer's one event reader and settles the caller exactly once.
 * This file is the lifecycle: submit, settle, close. Start-up is in `start.ts`, waiting jobs in
 * `pending.ts`, events in `events.ts`, the lost-event net in `reconcile.ts`, cancellation in
 * `cancel.ts`, the `maxQueue` bound in `admission.ts`, workers and counts in `queue-view.ts`.
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
  type RunOptions,
  type TaskBackend,
  type TaskInput,
  type TaskMap,
  type TaskResult,
  type TaskSettledListener,
  TaskTimeoutError,
  UncloneableInputError,
} from '@tandem/workers';
import {
  AbortFanout,
  checkDuration,
  checkFunction,
  inspectValue,
  startTimer,
  type Timer,
} from '@tandem/workers/internal';
import type { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Admission } from './admission.js';
import { splitBatch } from './batch-split.js';
import { Canceller } from './cancel.js';
import { isConnectionError, pause } from './connection-errors.js';
import { PayloadTooLargeError } from './errors.js';
import type { EventFeed } from './events.js';
import { jobEnd } from './job-end.js';
import { keyedJobId, randomJobId } from './job-id.js';
import { type JobEntry, PendingJobs, type Waiter } from './pending.js';
import type { ResolvedBullmqOptions } from './producer-options.js';
import { remoteStats } from './producer-stats.js';
import { type QueueCounts, QueueView } from './queue-view.js';
import { type Found, Reconciler } from './reconcile.js';
import type { WorkerCensus } from './registry-reader.js';
import { describeCloneFailure, type ReadRunOptions, readRunOptions } from './run-options.js';
import { type StartSettings, startBackend } from './start.js';
import { checkPayload, decode, encode, type JobData, WIRE_VERSION } from './wire.js';

/** `destroy()` gives its cancel commands, then the connections' goodbyes, this long each. */
const GOODBYE_MS = 2000;

/** What `start` opened, handed to the constructor. */
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
 * `RemoteFailureError` (failed by something other than a Tandem worker),
 * `PayloadTooLargeError`, `UncloneableInputError`, `QueueFullError`, `PoolClosedError` or
 * `PoolDestroyedError`.
 */
export class BullmqBackend<Tasks extends TaskMap = TaskMap> implements TaskBackend<Tasks> {
  readonly options: ResolvedBullmqOptions;
  readonly #startTimeout: number;
  readonly #queue: Queue;
  readonly #client: Redis;
  readonly #feed: EventFeed;
  readonly #view: QueueView;
  readonly #jobs: PendingJobs;
  readonly #admission: Admission;
  readonly #reconciler: Reconciler;
  readonly #canceller: Canceller;
  readonly #aborts: AbortFanout<[JobEntry, Waiter]>;
  readonly #startedAt = clock().now();
  #idle: (() => void) | undefined;
  #closing: Promise<void> | undefined;
  #destroying: Promise<void> | undefined;
  #destroyed = false;
  #added = 0;
  #reconcileTimer: Timer | undefined;

  /**
   * Connects to Redis, reads the event stream's tail and the worker registry, and starts the
   * event reader. Bounded by `context.startTimeout` and `context.signal`; nothing stays open
   * when it fails.
   *
   * @throws StartTimeoutError (`ERR_TANDEM_START_TIMEOUT`) when Redis cannot be reached in time,
   * `signal.reason`, option errors for a bad context.
   */
  static start<Tasks extends TaskMap = TaskMap>(
    options: ResolvedBullmqOptions,
    context: BackendStartContext,
  ): Promise<BullmqBackend<Tasks>> {
    return startBackend(options, context, (opened, settings) => {
      return new BullmqBackend<Tasks>(options, settings, opened);
    });
  }

  private constructor(options: ResolvedBullmqOptions, settings: StartSettings, opened: Opened) {
    this.options = options;
    this.#startTimeout = settings.startTimeout;
    this.#queue = opened.queue;
    this.#client = opened.client;
    this.#feed = opened.feed;
    this.#view = new QueueView(this.#queue, this.#client, options.keys, opened.census);
    this.#admission = new Admission(settings.maxQueue, settings.onFull);
    this.#jobs = new PendingJobs(() => this.#onLeave());
    this.#reconciler = new Reconciler(
      this.#queue,
      this.#client,
      this.#jobs,
      () => this.#feed.lastSeen,
      (entry, found) => this.#settle(entry, found),
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
    const heard = (id: string): JobEntry | undefined => {
      const entry = this.#jobs.get(id);
      if (entry !== undefined) entry.seenAt = clock().now();
      return entry;
    };
    this.#feed.handlers = {
      active: (id) => {
        const entry = heard(id);
        if (entry !== undefined && entry.activeAt === 0) entry.activeAt = entry.seenAt;
      },
      requeued: (id) => {
        const entry = heard(id);
        if (entry !== undefined) entry.activeAt = 0;
      },
      completed: (id, returnvalue) => {
        const entry = heard(id);
        if (entry !== undefined) this.#settle(entry, { state: 'completed', returnvalue });
      },
      failed: (id, failedReason) => {
        const entry = heard(id);
        if (entry !== undefined) this.#settle(entry, { state: 'failed', failedReason });
      },
      progress: (id, data) => {
        const entry = heard(id);
        if (entry !== undefined) this.#progress(entry, data);
      },
      // An add of an id that exists gets no further event if that job has finished.
      duplicated: (id) => this.#lookUpLater(id),
      removed: (id) => this.#lookUpLater(id),
      reconnected: () => void this.#reconciler.checkGap(),
      skipped: () => void this.#reconciler.checkAll(),
      error: () => {},
    };
    this.#feed.run(() => {});
    this.#scheduleReconcile();
  }

  /** `'bullmq'`. */
  get kind(): 'bullmq' {
    return 'bullmq';
  }

  /** Threads of the live registered workers (1 while none is registered): sizes `map` batches. */
  get threads(): number {
    return Math.max(1, this.#view.census.threads);
  }

  /** Ms that start-up was allowed to take. */
  get startTimeout(): number {
    return this.#startTimeout;
  }

  /** Task names the live workers run (their union); undefined while no worker is registered. */
  get taskNames(): readonly string[] | undefined {
    return this.#view.census.taskNames;
  }

  /**
   * Runs task `name` on `input` on a worker: one job. `timeout` is timed by the worker from
   * the job's start; `deadline` here, from this call (and passed on, so a worker does not start
   * a job past it). `transfer` is ignored (nothing can be moved to another process).
   * `idempotencyKey`: runs of the same task and key are one job, for as long as it is kept
   * (`keep.age`) — a second run awaits the first one's result; see `awaitJob`. `onProgress`
   * gets the task's progress only if the run that added the job asked for it.
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

  /**
   * `map`'s entry: the items as one job (split in parts that fit `maxPayloadBytes` when their
   * inputs, or their results, do not, see `batch-split.ts`); only `signal` and `deadline` apply.
   */
  [kRunBatch](name: string, items: unknown[], options: RunOptions): Promise<BatchOutcome> {
    let outcome: Promise<BatchOutcome>;
    try {
      outcome = this.#submit(name, items, true, options) as Promise<BatchOutcome>;
    } catch (error) {
      if (error instanceof PayloadTooLargeError && Array.isArray(items)) {
        return splitBatch(items, error, (part) => this[kRunBatch](name, part, options));
      }
      return Promise.reject(error);
    }
    // Results that fit one by one can exceed the limit together (the worker refuses the batch's
    // result): the halves run again (at-least-once), down to an item whose own result is over.
    return outcome.catch((error: unknown) => {
      if (error instanceof PayloadTooLargeError && error.what === 'result') {
        return splitBatch(items, error, (part) => this[kRunBatch](name, part, options));
      }
      throw error;
    });
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
      // Only on failure: walk the value to name the part at fault, as the local pool does.
      const root = batch ? 'inputs' : 'input';
      const { problem } = inspectValue(input, false, root);
      throw new UncloneableInputError(
        name,
        problem?.path ?? root,
        problem?.kind ?? describeCloneFailure(error),
      );
    }
    checkPayload('input', text, this.options.maxPayloadBytes);
    const data: JobData = { v: WIRE_VERSION, i: text };
    if (batch) data.b = 1;
    if (o.timeout !== undefined && Number.isFinite(o.timeout)) data.t = o.timeout;
    if (o.deadline !== undefined && Number.isFinite(o.deadline)) data.d = Date.now() + o.deadline;
    if (o.onProgress !== undefined) data.p = 1;
    const keyed = o.idempotencyKey !== undefined;
    const id = keyed ? keyedJobId(name, o.idempotencyKey!) : randomJobId();
    const existing = this.#jobs.get(id);
    if (existing !== undefined && !existing.cancelling) return this.#wait(existing, o);
    if (existing === undefined && this.#admission.hasRoom(this.#jobs.size)) {
      return this.#enqueue(id, name, keyed, batch, data, o);
    }
    if (existing === undefined) this.#admission.refuse();
    return this.#enqueueLater(id, name, keyed, batch, data, o, existing);
  }

  /** Waits for room, or for a job with the same key to finish cancelling; then enqueues. */
  async #enqueueLater(
    id: string,
    name: string,
    keyed: boolean,
    batch: boolean,
    data: JobData,
    o: ReadRunOptions,
    existing: JobEntry | undefined,
  ): Promise<unknown> {
    let waited: number;
    let admitted = false;
    if (existing === undefined) {
      waited = await this.#admission.wait(name, o.signal, o.deadline);
      admitted = true;
    } else {
      const since = clock().now();
      await unlessAborted(existing.finished.promise, o.signal);
      waited = clock().now() - since;
    }
    try {
      if (this.#destroyed) throw new PoolDestroyedError(name);
      o.signal?.throwIfAborted();
      const rest = { ...o, deadline: o.deadline === undefined ? undefined : o.deadline - waited };
      const again = this.#jobs.get(id);
      if (again !== undefined && !again.cancelling) return this.#wait(again, rest);
      if (again === undefined && (admitted || this.#admission.hasRoom(this.#jobs.size))) {
        return this.#enqueue(id, name, keyed, batch, data, rest);
      }
      if (again === undefined) this.#admission.refuse();
      return this.#enqueueLater(id, name, keyed, batch, data, rest, again);
    } finally {
      if (admitted) this.#admission.entered();
    }
  }

  #enqueue(
    id: string,
    name: string,
    keyed: boolean,
    batch: boolean,
    data: JobData,
    o: ReadRunOptions,
  ): Promise<unknown> {
    const entry = this.#jobs.create(id, name, keyed, batch);
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
      const budget = Math.max(0, deadline);
      waiter.deadlineTimer = startTimer(budget, () => {
        const timeout = new TaskTimeoutError(entry.name, deadline, 'deadline');
        this.#canceller.cancel(entry, waiter, timeout);
      });
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
        entry.seenAt = clock().now();
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

  /** Hands a progress value to each waiter that listens; one that throws is cancelled. */
  #progress(entry: JobEntry, data: unknown): void {
    let value: unknown;
    try {
      value = decode(data);
    } catch {
      return; // progress is advisory: an unreadable one is dropped
    }
    for (const waiter of [...entry.waiters]) {
      if (waiter.settled || waiter.reason !== undefined) continue;
      try {
        waiter.onProgress?.(value);
      } catch (error) {
        this.#canceller.cancel(entry, waiter, new CallbackError('onProgress', error));
      }
    }
  }

  /** Settles `entry` from its end as read from an event or from Redis. */
  #settle(entry: JobEntry, found: Found): void {
    if (entry.done) return;
    if (entry.signalled) this.#canceller.clearFlag(entry.id);
    if (entry.cancelling && entry.keyed && found.state !== 'lost') {
      // Its callers cancelled it: remove it, so that its key starts a fresh job next time
      // instead of answering with this cancelled run. Its callers reject with their reasons.
      const removed = this.#queue.remove(entry.id).catch(() => {});
      void within(removed, GOODBYE_MS).then(() => this.#jobs.finish(entry, false, undefined));
      return;
    }
    const { ok, value } = jobEnd(entry, found);
    this.#jobs.finish(entry, ok, value);
  }

  /** Looks a job up once its add has settled (an event may beat the add's reply). */
  #lookUpLater(id: string): void {
    const entry = this.#jobs.get(id);
    if (entry === undefined || entry.cancelling) return;
    void entry.addDone.promise.then(() => this.#reconciler.check(entry));
  }

  #onLeave(): void {
    this.#admission.leave(this.#jobs.size);
    if (this.#jobs.size === 0 && this.#admission.waiting === 0) this.#idle?.();
  }

  #scheduleReconcile(): void {
    this.#reconcileTimer = startTimer(
      this.options.reconcileInterval,
      () => {
        const checks = Promise.all([this.#reconciler.checkGap(), this.#reconciler.checkQuiet()]);
        void checks.finally(() => {
          if (!this.#destroyed) this.#scheduleReconcile();
        });
      },
      true,
    );
  }

  /**
   * A snapshot as a `PoolStats`. Here `queued` counts this producer's jobs no worker has
   * started yet (and callers waiting for room), `inWorkers` = `running` its started ones,
   * `threads` = `size` the live workers' threads (0 with none); `waitTime` is submit → start,
   * `runTime` start → end, as seen here; `messages` counts jobs added. Fields about local
   * threads (`depth`, `concurrentTasksPerWorker`, `grace`, `workersBusy`, `workersReplaced`,
   * `strayErrors`, `stolen`) are 0.
   */
  stats(): PoolStats {
    return remoteStats({
      jobs: this.#jobs,
      admission: this.#admission,
      threads: this.#view.census.threads,
      added: this.#added,
      startTimeout: this.#startTimeout,
      uptime: clock().now() - this.#startedAt,
    });
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
   * time of `name` seen here (1 ms before any) ÷ the live workers' threads. `Infinity` with no
   * live worker or once closing. An estimate for admission control, not a promise.
   *
   * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`) if `name` is not a string.
   */
  estimateWait(name: string): number {
    if (typeof name !== 'string') {
      throw new InvalidArgumentError(`Expected the task name to be a string, got ${typeof name}`);
    }
    const threads = this.#view.census.threads;
    if (this.#closing !== undefined || this.#destroyed || threads === 0) {
      return Number.POSITIVE_INFINITY;
    }
    let queuedHere = 0;
    for (const entry of this.#jobs.all()) if (entry.activeAt === 0) queuedHere++;
    const waiting = Math.max(this.#view.waiting(), queuedHere);
    return (waiting * this.#jobs.runEstimate(name)) / threads;
  }

  /**
   * Awaits the job of task `name` and idempotency key `key` (used by `awaitJob`): joins this
   * producer's wait if it has one, else looks the job up in Redis.
   */
  awaitKeyed(
    name: string,
    key: string,
    options: Pick<ReadRunOptions, 'signal' | 'onProgress'>,
  ): Promise<unknown> {
    if (this.#closing !== undefined || this.#destroyed) {
      return Promise.reject(new PoolClosedError());
    }
    options.signal?.throwIfAborted();
    const id = keyedJobId(name, key);
    const existing = this.#jobs.get(id);
    if (existing !== undefined && !existing.cancelling) return this.#wait(existing, options);
    if (existing !== undefined) {
      return existing.finished.promise.then(() => this.awaitKeyed(name, key, options));
    }
    const entry = this.#jobs.create(id, name, true, false);
    entry.added = true;
    entry.addDone.resolve();
    const promise = this.#wait(entry, options);
    void this.#reconciler.check(entry);
    return promise;
  }

  /** Job counts of the queue (all producers) and the live workers (used by `queueCounts`). */
  queueCounts(): Promise<QueueCounts> {
    // Its connections close with the engine: say so with a code, not ioredis' bare error.
    if (this.#closing !== undefined || this.#destroyed) {
      return Promise.reject(new PoolClosedError());
    }
    return this.#view.counts();
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
    if (this.#jobs.size > 0 || this.#admission.waiting > 0) {
      await new Promise<void>((resolve) => {
        const timer = startTimer(timeout, resolve);
        this.#idle = () => {
          timer.cancel();
          resolve();
        };
      });
    }
    await this.destroy();
  }

  /**
   * Ends now. Every pending run rejects with `PoolDestroyedError` (`ERR_TANDEM_POOL_DESTROYED`),
   * or its own cancel reason; jobs without an idempotency key are removed from the queue (or
   * told to stop, if running); keyed jobs are left to run (a restarted producer can `awaitJob`
   * them). Then the connections close. Idempotent.
   */
  destroy(): Promise<void> {
    this.#destroying ??= this.#destroy();
    return this.#destroying;
  }

  async #destroy(): Promise<void> {
    this.#destroyed = true;
    this.#reconcileTimer?.cancel();
    this.#view.stop();
    this.#admission.releaseAll(); // they find the backend destroyed
    const goodbyes: Promise<void>[] = [];
    for (const entry of [...this.#jobs.all()]) {
      this.#jobs.finish(entry, false, new PoolDestroyedError(entry.name));
      // A keyed job is left to run (a restarted producer may await it), unless its callers
      // cancelled it; a cancel under way stops with the backend, so it is done once more here.
      if (!entry.keyed || entry.cancelling) {
        goodbyes.push(this.#canceller.abandon(entry).catch(() => {}));
      }
    }
    await within(Promise.all(goodbyes), GOODBYE_MS);
    const quit = this.#queue.close().then(() => this.#client.quit());
    const closed = await within(Promise.allSettled([this.#feed.close(), quit]), GOODBYE_MS);
    if (!closed) {
      // Redis is unreachable: drop the connections rather than wait for it.
      this.#client.disconnect();
      await this.#feed.abort().catch(() => {});
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

export type { QueueCounts };

/** Resolves when `promise` does; rejects with `signal.reason` if it aborts first. */
async function unlessAborted(
  promise: Promise<void>,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (signal === undefined) return promise;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

/** True if `promise` settled within `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
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

/**
 * The bullmq backend of `engine` (for `awaitJob`, `queueCounts`).
 *
 * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`) when `engine` does not run on
 * `bullmq(…)`, or reading its `pool` throws (a Proxy).
 */
export function bullmqBackendOf(engine: unknown): BullmqBackend {
  let backend: unknown;
  try {
    backend = (engine as { pool?: unknown } | null)?.pool;
  } catch (cause) {
    throw new InvalidArgumentError(
      'Could not read engine.pool: reading it threw (see error.cause)',
      {
        cause,
      },
    );
  }
  if (!(backend instanceof BullmqBackend)) {
    throw new InvalidArgumentError('Expected an engine started with { backend: bullmq(…) }');
  }
  return backend;
}
