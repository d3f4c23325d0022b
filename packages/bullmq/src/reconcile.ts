/**
 * The safety net under the event stream. Events are lost to this producer only when the
 * stream was trimmed (`XADD … MAXLEN ~`) past what it had read: QueueEvents resumes from its
 * last id after a dropped connection. So, every `reconcileInterval` while jobs are pending and
 * after each reconnect of the events connection, the oldest id still in the stream is compared
 * with the last id read *as of the previous check* (the mark): trimming removes the oldest
 * entries first, so if any entry after the mark was trimmed, the mark is gone too and the
 * oldest id is newer. (Comparing with the last id read now would miss a gap the reader has
 * already skipped over.) Then every pending job is looked up in Redis. A single job is
 * looked up at once on `duplicated` / `removed` and by `awaitJob`. Last, a job this producer
 * has heard nothing of for {@link QUIET_MS} is looked up (at most once per that time): a net
 * for an event lost any other way, at one lookup per quiet job per 30 s.
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
/** A job not heard of for this long is looked up. */
export const QUIET_MS = 30_000;

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
  /** The last id read as of the previous check. */
  #mark: string;

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
    this.#mark = lastSeen();
  }

  /** Reconciles every pending job if the stream lost events this producer had not read. */
  async checkGap(): Promise<void> {
    if (this.#checking) return;
    const read = this.#lastSeen();
    if (this.#jobs.size === 0) {
      this.#mark = read; // nothing waits: a gap before now cannot matter
      return;
    }
    this.#checking = true;
    try {
      const first = (await this.#client.xrange(this.#eventsKey, '-', '+', 'COUNT', 1))[0];
      const gap = first !== undefined && compareStreamIds(first[0], this.#mark) > 0;
      this.#mark = read;
      if (gap) await this.checkAll();
    } catch {
      // Redis is unreachable: the next tick, or the reconnect, checks again.
    } finally {
      this.#checking = false;
    }
  }

  /** Looks up every pending job whose add went through. */
  checkAll(): Promise<void> {
    return this.#checkEach([...this.#jobs.all()].filter((entry) => entry.added && !entry.done));
  }

  /** Looks up the jobs this producer has not heard of for {@link QUIET_MS}. */
  checkQuiet(): Promise<void> {
    const now = clock().now();
    const quiet: JobEntry[] = [];
    for (const entry of this.#jobs.all()) {
      if (entry.added && !entry.done && now - entry.seenAt >= QUIET_MS) quiet.push(entry);
    }
    return this.#checkEach(quiet);
  }

  async #checkEach(entries: JobEntry[]): Promise<void> {
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
    entry.seenAt = clock().now();
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
