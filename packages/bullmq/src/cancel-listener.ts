/**
 * Cancels that reach a running job from another process. BullMQ cancels only in-process
 * (`worker.cancelJob`), so a producer that cancels a running job sets a flag key and publishes
 * the job id (`MULTI; SET <cancelKey><id> 1 PX 86400000; PUBLISH <cancelChannel> <id>; EXEC`).
 * This side listens on a connection of its own and aborts the job if it runs here.
 *
 * A message can be missed: the subscriber was disconnected, or the job was taken back from a
 * dead worker after its cancel was published. Hence the flag: it is read (`EXISTS`) for the
 * jobs running here each time the subscriber comes back, and at the start of a job that was
 * retried or recovered after a stall. The happy path costs no command.
 *
 * @module
 */
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { TandemKeys } from './queue-name.js';
import { RecentIds } from './recent-ids.js';

/** Cancelled ids remembered: enough for a burst, bounded memory. */
const RECENT_MAX = 100_000;
/** How long one is remembered: far longer than a publish can beat its job. */
const RECENT_TTL_MS = 10 * 60_000;

export interface CancelListenerOptions {
  /** A connection of its own: once subscribed it can run nothing else. */
  subscriber: Redis;
  /** For `EXISTS`. */
  commands: Redis;
  keys: TandemKeys;
  /** Aborts job `id` if it runs here. */
  cancel(id: string): void;
  /** Ids of the jobs running here. */
  active(): Iterable<string>;
  onError(error: unknown): void;
}

export class CancelListener {
  readonly #options: CancelListenerOptions;
  readonly #recent = new RecentIds(RECENT_MAX, RECENT_TTL_MS);
  #subscribed = false;
  #closed = false;

  constructor(options: CancelListenerOptions) {
    this.#options = options;
  }

  /** Subscribes; resolves once cancels are being received. */
  async start(): Promise<void> {
    const { subscriber, keys } = this.#options;
    subscriber.on('message', (channel: string, id: string) => {
      if (channel !== keys.cancelChannel) return;
      this.#recent.add(id);
      this.#options.cancel(id);
    });
    // ioredis subscribes again by itself after a reconnect; messages published meanwhile
    // are lost, so the flags of the jobs running here are read once it is back.
    subscriber.on('ready', () => {
      if (this.#subscribed && !this.#closed) void this.#recheck();
    });
    await subscriber.subscribe(keys.cancelChannel);
    this.#subscribed = true;
  }

  /**
   * Whether `job` was cancelled before it started here: a message seen lately, or (for a job
   * retried or recovered after a stall, the only way a job cancelled while running reaches
   * another worker) its flag. A failed read counts as "not cancelled": the job runs, as it
   * would have had the cancel come a moment later.
   */
  async wasCancelled(job: Job): Promise<boolean> {
    const id = job.id ?? '';
    if (this.#recent.has(id)) return true;
    if (job.attemptsMade === 0 && job.stalledCounter === 0) return false;
    try {
      return (await this.#options.commands.exists(this.#options.keys.cancelKey + id)) === 1;
    } catch (error) {
      this.#options.onError(error);
      return false;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const { subscriber } = this.#options;
    // While Redis is down a QUIT waits in the offline queue for a reconnect that may never
    // come (about half a minute of retries, past any shutdown grace): let go at once instead.
    if (subscriber.status !== 'ready') {
      subscriber.disconnect();
      return;
    }
    try {
      await subscriber.quit();
    } catch {
      subscriber.disconnect();
    }
  }

  async #recheck(): Promise<void> {
    const { subscriber, commands, keys } = this.#options;
    try {
      // Our own SUBSCRIBE, queued behind ioredis's: once it answers, a cancel published from
      // now on is received, so a flag read after it cannot miss one.
      await subscriber.subscribe(keys.cancelChannel);
      const ids = [...this.#options.active()];
      if (ids.length === 0) return;
      const pipeline = commands.pipeline();
      for (const id of ids) pipeline.exists(keys.cancelKey + id);
      const replies = (await pipeline.exec()) ?? [];
      for (const [i, id] of ids.entries()) {
        const [error, found] = replies[i] ?? [];
        if (error) this.#options.onError(error);
        else if (found === 1) {
          this.#recent.add(id);
          this.#options.cancel(id);
        }
      }
    } catch (error) {
      if (!this.#closed) this.#options.onError(error);
    }
  }
}
