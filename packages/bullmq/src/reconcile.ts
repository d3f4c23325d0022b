/**
 * The safety net under the event stream. Events are lost to this producer only when the
 * stream was trimmed (`XADD … MAXLEN ~`) past the last one it read: QueueEvents resumes from
 * its last id after a dropped connection. So, every `reconcileInterval` while jobs are pending
 * and after each reconnect of the events connection, the oldest id still in the stream is
 * compared with the last one read; if it is newer, every pending job is looked up in Redis.
 * A single job is looked up at once on `duplicated` / `removed` and by `awaitJob`.
 *
 * @module
 */
import { clock } from '@tandem/workers';
import { Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { compareStreamIds } from './events.js';
import type { JobEntry, PendingJobs } from './pending.js';

/** Lookups in flight at most during a full reconcile. */
const PARALLEL = 64;

/** How a lookup found a job. */
export type Found =
  | { state: 'completed'; returnvalue: unknown }
  | { state: 'failed'; failedReason: unknown }
  | { state: 'lost'; detail: string };

export class Reconciler {
  readonly #queue: Queue;
  readonly #client: Redis;
  readonly #eventsKey: string;
  readonly #jobs: PendingJobs;
  readonly #lastSeen: () => string;
  readonly #settle: (entry: JobEntry, found: Found) => void;
  #checking = false;

  constructor(
    queue: Queue,
    client: Redis,
    jobs: PendingJobs,
    lastSeen: () => string,
    settle: (entry: JobEntry, found: Found) => void,
  ) {
    this.#queue = queue;
    this.#client = client;
    this.#eventsKey = queue.keys.events!;
    this.#jobs = jobs;
    this.#lastSeen = lastSeen;
    this.#settle = settle;
  }

  /** Reconciles every pending job if the stream lost events this producer had not read. */
  async checkGap(): Promise<void> {
    if (this.#checking || this.#jobs.size === 0) return;
    this.#checking = true;
    try {
      const first = (await this.#client.xrange(this.#eventsKey, '-', '+', 'COUNT', 1))[0];
      if (first !== undefined && compareStreamIds(first[0], this.#lastSeen()) > 0) {
        await this.checkAll();
      }
    } catch {
      // Redis is unreachable: the next tick, or the reconnect, checks again.
    } finally {
      this.#checking = false;
    }
  }

  /** Looks up every pending job whose add went through. */
  async checkAll(): Promise<void> {
    const entries = [...this.#jobs.all()].filter((entry) => entry.added && !entry.done);
    let next = 0;
    const lane = async () => {
      while (next < entries.length) await this.check(entries[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, entries.length) }, lane));
  }

  /**
   * Looks `entry` up: finished → settles it from the job's hash; gone → `JobLostError`; still
   * queued or running → its state is noted. Never throws (a failed lookup waits for the next).
   */
  async check(entry: JobEntry): Promise<void> {
    if (entry.done) return;
    try {
      const state = await this.#queue.getJobState(entry.id);
      if (entry.done) return;
      if (state === 'completed' || state === 'failed') {
        const job = await Job.fromId(this.#queue, entry.id);
        if (entry.done) return;
        if (job === undefined) {
          this.#settle(entry, { state: 'lost', detail: `removed after it ${state}` });
        } else if (state === 'completed') {
          this.#settle(entry, { state, returnvalue: job.returnvalue });
        } else {
          this.#settle(entry, { state, failedReason: job.failedReason });
        }
      } else if (state === 'unknown') {
        this.#settle(entry, { state: 'lost', detail: 'no such job' });
      } else if (state === 'active') {
        entry.activeAt ||= clock().now();
      }
    } catch {
      // Unreachable now: the next gap check, or the job's own event, settles it.
    }
  }
}
