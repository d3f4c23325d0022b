/**
 * The one `QueueEvents` of a producer: every job's `active`, `progress`, `completed` and
 * `failed` arrive here, from the queue's event stream. It starts at the stream's tail as read
 * when the producer started (not at `$`, which would lose what is written between start and
 * the first read), and remembers the id of the last event it delivered so that the reconciler
 * can tell whether the stream was trimmed past it. `waitUntilFinished` is never used: one
 * reader for all jobs, not a listener per job.
 *
 * @module
 */
import { type ConnectionOptions, QueueEvents } from 'bullmq';
import type { Redis, RedisOptions } from 'ioredis';
import { pause } from './connection-errors.js';

/** What the producer does with each event (none of them may throw). */
export interface EventHandlers {
  active(jobId: string): void;
  /** Back in line: a stalled job put back, or a retry. */
  requeued(jobId: string): void;
  completed(jobId: string, returnvalue: unknown): void;
  failed(jobId: string, failedReason: unknown): void;
  progress(jobId: string, data: unknown): void;
  /** An add of an existing id (a retried add, or a reused idempotency key). */
  duplicated(jobId: string): void;
  removed(jobId: string): void;
  /** The events connection is back after a drop. */
  reconnected(): void;
  /** An entry the reader could not parse was stepped over: its event is lost. */
  skipped(): void;
  error(error: unknown): void;
}

/** A stream id `ms-seq`, compared as two integers. */
export function compareStreamIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms > 0n ? 1 : -1;
  const seq = BigInt(as) - BigInt(bs);
  return seq === 0n ? 0 : seq > 0n ? 1 : -1;
}

const STREAM_ID = /^\d+-\d+$/;
/** Pause before the reader is started again after it failed. */
const RESTART_MS = 1000;

const noop = () => {};
const ignore: EventHandlers = {
  active: noop,
  requeued: noop,
  completed: noop,
  failed: noop,
  progress: noop,
  duplicated: noop,
  removed: noop,
  reconnected: noop,
  skipped: noop,
  error: noop,
};

export class EventFeed {
  readonly #events: QueueEvents;
  #lastSeen: string;
  #armed = false;
  #closed = false;
  /** `lastSeen` when the reader last failed. */
  #failedAt: string | undefined;
  readonly #client: Redis;
  readonly #eventsKey: string;
  #running: Promise<void> | undefined;
  /** Set by the producer before `run()`; events are read only after. */
  handlers: EventHandlers = ignore;

  /** Opens the reader (its own blocking connection); it reads once `run()` is called. */
  constructor(
    bullQueue: string,
    connection: RedisOptions,
    prefix: string,
    tail: string,
    client: Redis,
    eventsKey: string,
  ) {
    this.#lastSeen = tail;
    this.#client = client;
    this.#eventsKey = eventsKey;
    this.#events = new QueueEvents(bullQueue, {
      connection: connection as ConnectionOptions,
      prefix,
      lastEventId: tail,
      autorun: false,
    });
    const events = this.#events;
    // Every event carries its stream id: remember the last one delivered, whatever its kind.
    const emit = events.emit.bind(events) as (event: string, ...args: unknown[]) => boolean;
    (events as unknown as { emit: typeof emit }).emit = (event, ...args) => {
      const id = event === 'drained' ? args[0] : args[1];
      if (typeof id === 'string' && STREAM_ID.test(id) && !event.includes(':')) this.#lastSeen = id;
      return emit(event, ...args);
    };
    events.on('error', (error) => this.handlers.error(error));
    events.on('active', ({ jobId }) => this.handlers.active(jobId));
    events.on('waiting', ({ jobId, prev }) => {
      if (prev !== undefined) this.handlers.requeued(jobId);
    });
    events.on('delayed', ({ jobId }) => this.handlers.requeued(jobId));
    events.on('completed', ({ jobId, returnvalue }) => this.handlers.completed(jobId, returnvalue));
    events.on('failed', ({ jobId, failedReason }) => this.handlers.failed(jobId, failedReason));
    events.on('progress', ({ jobId, data }) => this.handlers.progress(jobId, data));
    events.on('duplicated', ({ jobId }) => this.handlers.duplicated(jobId));
    events.on('removed', ({ jobId }) => this.handlers.removed(jobId));
    events.getBackend().on('ready', () => {
      // Before `run()`, a `ready` is the start; after it, one follows a drop.
      if (this.#armed) this.handlers.reconnected();
    });
  }

  /** The id of the last event delivered (the start tail before any). */
  get lastSeen(): string {
    return this.#lastSeen;
  }

  /** Resolves once the reader's connection is up. */
  waitUntilReady(): Promise<void> {
    return this.#events.waitUntilReady();
  }

  /** Starts reading; from now on a `ready` of the connection means it came back. */
  run(onError: (error: unknown) => void): void {
    this.#armed = true;
    this.#running ??= this.#read(onError);
  }

  /**
   * QueueEvents' loop survives dropped connections, but not a throw while it parses an event
   * (another client's malformed entry): then it is started again from the last id delivered,
   * and if it fails there again, from the entry after (that entry's event is lost: the
   * producer reconciles).
   */
  async #read(onError: (error: unknown) => void): Promise<void> {
    for (;;) {
      try {
        await this.#events.run();
        return;
      } catch (error) {
        if (this.#closed) return;
        onError(error);
        await pause(RESTART_MS);
        if (this.#closed) return;
        if (this.#lastSeen === this.#failedAt) await this.#stepOver();
        this.#failedAt = this.#lastSeen;
        (this.#events.opts as { lastEventId?: string }).lastEventId = this.#lastSeen;
      }
    }
  }

  async #stepOver(): Promise<void> {
    try {
      const next = await this.#client.xrange(
        this.#eventsKey,
        `(${this.#lastSeen}`,
        '+',
        'COUNT',
        1,
      );
      if (next[0] === undefined) return;
      this.#lastSeen = next[0][0];
      this.handlers.skipped();
    } catch {
      // Unreachable: the next failure tries again.
    }
  }

  /** Stops reading and closes the connection. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#events.close();
  }

  /**
   * Drops the connection at once, connected or not (a start that failed, a close that hangs).
   * `QueueEvents.disconnect()` would first wait for a connection that may never come.
   */
  async abort(): Promise<void> {
    this.#closed = true;
    await this.#events.getBackend().close(true);
  }
}
