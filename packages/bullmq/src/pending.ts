/**
 * The jobs this producer waits for, and who waits for each. A job settles once: the first
 * settlement (its `completed`/`failed` event, a reconcile, a cancel, a destroy) deletes it, and
 * everything later about it misses the map. A keyed job may have several waiters (two runs
 * with the same `idempotencyKey`, or `awaitJob`): each settles on its own, so one caller
 * cancelling does not cancel the job under the others.
 *
 * @module
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import {
  clock,
  type LatencySummary,
  type TaskOutcome,
  type TaskSettledEvent,
  type TaskSettledListener,
  TaskTimeoutError,
  WorkerCrashedError,
} from '@tandem/workers';
import { type Deferred, deferred, summarize, type Timer } from '@tandem/workers/internal';

/** One caller waiting for a job: a `run`, a batch of `map`, or an `awaitJob`. */
export interface Waiter {
  readonly caller: Deferred<unknown>;
  readonly submittedAt: number;
  settled: boolean;
  onProgress: ((value: unknown) => void) | undefined;
  /** Set once the caller cancelled (its signal, its deadline, its `onProgress` throwing). */
  reason: unknown;
  cancelledAt: number;
  unlisten: (() => void) | undefined;
  deadlineTimer: Timer | undefined;
}

/** One job of this producer in Redis. */
export interface JobEntry {
  readonly id: string;
  readonly name: string;
  /** Made with an idempotency key: it may outlive this process (destroy leaves it running). */
  readonly keyed: boolean;
  /** A `map` batch: its result is a `BatchOutcome`. */
  readonly batch: boolean;
  readonly waiters: Set<Waiter>;
  /** The add succeeded: the job is (or was) in Redis, so a state "unknown" means lost. */
  added: boolean;
  /** Settles once no add of this job is in flight any more. */
  readonly addDone: Deferred<void>;
  /** When it went active (last time), 0 while queued. */
  activeAt: number;
  /** When this producer last heard of it (an event, its add, a lookup). */
  seenAt: number;
  /** Its last waiter cancelled: the job itself is being removed or told to stop. */
  cancelling: boolean;
  /** A cancel flag was set for a running worker: delete it once the job ends. */
  signalled: boolean;
  done: boolean;
  /** Resolves once it left the table. */
  readonly finished: Deferred<void>;
}

/** The outcome counters and latency histograms behind `stats()`. */
export interface Counters {
  completed: number;
  failed: number;
  cancelled: number;
  crashed: number;
  busyMs: number;
  waitTime(): LatencySummary;
  runTime(): LatencySummary;
}

export class PendingJobs {
  readonly #jobs = new Map<string, JobEntry>();
  #listeners: readonly TaskSettledListener[] = [];
  readonly #wait: RecordableHistogram = createHistogram();
  readonly #run: RecordableHistogram = createHistogram();
  /** EWMA of run ms per task name (for `estimateWait`). */
  readonly #runMs = new Map<string, number>();
  readonly #onLeave: () => void;
  readonly counters: Counters;

  /** `onLeave` is called each time a job leaves the table. */
  constructor(onLeave: () => void) {
    this.#onLeave = onLeave;
    this.counters = {
      completed: 0,
      failed: 0,
      cancelled: 0,
      crashed: 0,
      busyMs: 0,
      waitTime: () => summarize(this.#wait),
      runTime: () => summarize(this.#run),
    };
  }

  get size(): number {
    return this.#jobs.size;
  }

  get(id: string): JobEntry | undefined {
    return this.#jobs.get(id);
  }

  all(): IterableIterator<JobEntry> {
    return this.#jobs.values();
  }

  /** Registers a job (before its add is sent, so that no event of it can be missed). */
  create(id: string, name: string, keyed: boolean, batch: boolean): JobEntry {
    const entry: JobEntry = {
      id,
      name,
      keyed,
      batch,
      waiters: new Set(),
      added: false,
      addDone: deferred<void>(),
      activeAt: 0,
      seenAt: clock().now(),
      cancelling: false,
      signalled: false,
      done: false,
      finished: deferred<void>(),
    };
    this.#jobs.set(id, entry);
    return entry;
  }

  /** A new waiter on `entry`; its promise settles exactly once. */
  join(entry: JobEntry, onProgress: ((value: unknown) => void) | undefined): Waiter {
    const waiter: Waiter = {
      caller: deferred<unknown>(),
      submittedAt: clock().now(),
      settled: false,
      onProgress,
      reason: undefined,
      cancelledAt: 0,
      unlisten: undefined,
      deadlineTimer: undefined,
    };
    entry.waiters.add(waiter);
    return waiter;
  }

  /** Waiters of `entry` that still want its result. */
  interested(entry: JobEntry): number {
    let n = 0;
    for (const waiter of entry.waiters) if (!waiter.settled && waiter.reason === undefined) n++;
    return n;
  }

  /**
   * The job ended (or is given up): every waiter settles — one that cancelled with its own
   * reason, the others with `ok`/`value` — and the job leaves the table.
   */
  finish(entry: JobEntry, ok: boolean, value: unknown): void {
    if (entry.done) return;
    entry.done = true;
    if (this.#jobs.get(entry.id) === entry) this.#jobs.delete(entry.id);
    const now = clock().now();
    for (const waiter of entry.waiters) this.#settle(entry, waiter, ok, value, now);
    entry.waiters.clear();
    entry.finished.resolve();
    this.#onLeave();
  }

  /** One waiter lets go early (it cancelled while others still wait for the job). */
  release(entry: JobEntry, waiter: Waiter): void {
    this.#settle(entry, waiter, false, waiter.reason, clock().now());
    entry.waiters.delete(waiter);
  }

  /** Every waiter lets go now with its reason; the job stays until its cancel is done. */
  releaseAll(entry: JobEntry): void {
    for (const waiter of [...entry.waiters]) this.release(entry, waiter);
  }

  #settle(entry: JobEntry, waiter: Waiter, ok: boolean, value: unknown, now: number): void {
    if (waiter.settled) return;
    waiter.settled = true;
    waiter.deadlineTimer?.cancel();
    waiter.unlisten?.();
    waiter.unlisten = undefined;
    const cancelled = waiter.reason !== undefined;
    if (cancelled) {
      ok = false;
      value = waiter.reason;
    }
    const outcome = outcomeOf(ok, value, cancelled);
    const startedAt = entry.activeAt > 0 ? Math.max(entry.activeAt, waiter.submittedAt) : 0;
    const waitMs = (startedAt > 0 ? startedAt : now) - waiter.submittedAt;
    const runMs = startedAt > 0 ? now - startedAt : 0;
    this.#count(entry.name, outcome, startedAt > 0, waitMs, runMs);
    if (this.#listeners.length > 0) {
      const event: TaskSettledEvent = {
        task: entry.name,
        outcome,
        waitMs,
        runMs,
        orphanMs:
          cancelled && startedAt > 0 && waiter.cancelledAt > 0 ? now - waiter.cancelledAt : 0,
      };
      notify(this.#listeners, event);
    }
    if (ok) waiter.caller.resolve(value);
    else waiter.caller.reject(value);
  }

  #count(
    name: string,
    outcome: TaskOutcome,
    started: boolean,
    waitMs: number,
    runMs: number,
  ): void {
    const c = this.counters;
    if (outcome === 'ok') c.completed++;
    else if (outcome === 'cancelled' || outcome === 'timeout') c.cancelled++;
    else c.failed++;
    if (outcome === 'crashed') c.crashed++;
    if (!started) return;
    // Histograms take positive integers: record microseconds.
    this.#wait.record(Math.max(1, Math.round(waitMs * 1000)));
    this.#run.record(Math.max(1, Math.round(runMs * 1000)));
    c.busyMs += runMs;
    if (outcome === 'ok' || outcome === 'error') {
      const before = this.#runMs.get(name);
      this.#runMs.set(name, before === undefined ? runMs : before * 0.8 + runMs * 0.2);
    }
  }

  /** The moving average of run ms of task `name` seen here (1 when none yet). */
  runEstimate(name: string): number {
    return Math.max(1, this.#runMs.get(name) ?? 1);
  }

  /** Adds a settle listener; returns the function that removes it. */
  onSettled(listener: TaskSettledListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      const at = this.#listeners.indexOf(listener);
      this.#listeners = this.#listeners.filter((_, i) => i !== at);
    };
  }
}

/** As locally: a cancellation by its reason, a remote timeout as `timeout`, a crash as `crashed`. */
function outcomeOf(ok: boolean, value: unknown, cancelled: boolean): TaskOutcome {
  if (ok) return 'ok';
  if (value instanceof TaskTimeoutError) return 'timeout';
  if (cancelled) return 'cancelled';
  return value instanceof WorkerCrashedError ? 'crashed' : 'error';
}

/** Each listener gets `event`; a throw goes to the next tick, the others still run. */
function notify(listeners: readonly TaskSettledListener[], event: TaskSettledEvent): void {
  for (const listener of listeners) {
    try {
      listener(event);
    } catch (error) {
      process.nextTick(() => {
        throw error;
      });
    }
  }
}
