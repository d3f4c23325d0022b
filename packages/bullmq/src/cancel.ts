/**
 * Cancelling a job in Redis. BullMQ cancels only inside the worker process that runs a job,
 * so the producer tries `queue.remove(id)` first: it succeeds (1) for a job no worker holds —
 * waiting, delayed for a retry, or already finished — and the caller rejects at once with its
 * own reason. It fails (0) for a locked, i.e. running, job: then a flag key is set and the id
 * published on the queue's cancel channel, in one MULTI; the worker running it aborts the
 * task's `ctx.signal`, and a worker that picks the job up later (after a stall) sees the flag.
 * The caller rejects with its own reason once the job ends (its remote error is ignored), as a
 * cancelled running task does locally; the flag is deleted then.
 *
 * @module
 */
import { clock } from '@tandem/workers';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { isConnectionError, pause } from './connection-errors.js';
import type { JobEntry, PendingJobs, Waiter } from './pending.js';
import type { TandemKeys } from './queue-name.js';

/** How long a cancel flag lives: longer than any job waits to be recovered after a stall. */
const FLAG_TTL_MS = 86_400_000;

export class Canceller {
  readonly #queue: Queue;
  readonly #client: Redis;
  readonly #keys: TandemKeys;
  readonly #jobs: PendingJobs;
  readonly #stopped: () => boolean;

  /** `stopped()` is true once the backend is destroyed: retries end. */
  constructor(
    queue: Queue,
    client: Redis,
    keys: TandemKeys,
    jobs: PendingJobs,
    stopped: () => boolean,
  ) {
    this.#queue = queue;
    this.#client = client;
    this.#keys = keys;
    this.#jobs = jobs;
    this.#stopped = stopped;
  }

  /**
   * `waiter` gives up with `reason`. If others still wait for the job it just lets go;
   * otherwise the job itself is cancelled: the caller rejects once `remove` says the job was
   * not running (at once if its add has not landed, or if Redis cannot be reached), or once
   * the running job ends. Idempotent: the first reason wins.
   */
  cancel(entry: JobEntry, waiter: Waiter, reason: unknown): void {
    if (waiter.settled || waiter.reason !== undefined) return;
    waiter.reason = reason;
    waiter.cancelledAt = clock().now();
    waiter.deadlineTimer?.cancel();
    if (this.#jobs.interested(entry) > 0) {
      this.#jobs.release(entry, waiter);
      return;
    }
    // Its add has not landed: no worker can be known to run it, so nobody waits for the
    // add (which a Redis outage can hold for long) — the job is removed behind the caller.
    if (!entry.added) this.#jobs.releaseAll(entry);
    void this.#cancelJob(entry);
  }

  async #cancelJob(entry: JobEntry): Promise<void> {
    if (entry.cancelling || entry.done) return;
    entry.cancelling = true;
    // A remove before the add lands would return 1 and the job would then run orphaned.
    await entry.addDone.promise;
    for (let delay = 50; !entry.done; delay = Math.min(delay * 2, 1000)) {
      try {
        const removed = await this.#queue.remove(entry.id);
        if (entry.done) return;
        if (removed !== 0) {
          this.#jobs.finish(entry, false, undefined); // every waiter has its reason
          return;
        }
        await this.signal(entry.id);
        entry.signalled = true;
        // It may have ended while the flag was being set: then nobody deletes it but us.
        if (entry.done) this.clearFlag(entry.id);
        return;
      } catch (error) {
        if (!isConnectionError(error) || this.#stopped()) {
          // Nothing more can be done from here: the callers let go now.
          this.#jobs.finish(entry, false, undefined);
          return;
        }
        // Redis is unreachable: the callers let go now; the job is removed (or told to
        // stop) once Redis is back.
        this.#jobs.releaseAll(entry);
        await pause(delay);
      }
    }
  }

  /** Tells the worker running job `id` to stop (flag + publish, atomically). */
  async signal(id: string): Promise<void> {
    await this.#client
      .multi()
      .set(`${this.#keys.cancelKey}${id}`, '1', 'PX', FLAG_TTL_MS)
      .publish(this.#keys.cancelChannel, id)
      .exec();
  }

  /** One attempt, for `destroy()`: removes job `id`, or signals it if it is running. */
  async abandon(entry: JobEntry): Promise<void> {
    await entry.addDone.promise;
    if ((await this.#queue.remove(entry.id)) === 0) await this.signal(entry.id);
  }

  /** Deletes job `id`'s cancel flag once the job has ended. */
  clearFlag(id: string): void {
    this.#client.del(`${this.#keys.cancelKey}${id}`).catch(() => {});
  }
}
