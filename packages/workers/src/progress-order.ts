/**
 * Results after progress. Progress travels on a worker's control port, results on Piscina's,
 * so a result can arrive before the last progress messages the task sent. The caller must not
 * see progress after the end: a result is held until every progress message counted in the
 * shared table has been delivered, or until the worker that sent them is gone.
 *
 * @module
 */
import type { TaskRecord } from './task-record.js';
import type { WorkerControls } from './worker-controls.js';

interface Held {
  record: TaskRecord;
  /** The worker whose port carries the missing messages. */
  owner: number;
  /** How many progress messages the task sent in all. */
  sent: number;
  settle: () => void;
  release: () => void;
}

export class ProgressOrder {
  readonly #controls: WorkerControls;
  readonly #held = new Map<number, Held>();

  constructor(controls: WorkerControls) {
    this.#controls = controls;
  }

  /**
   * Runs `settle` now if the task's progress has all been delivered; otherwise holds it until
   * it has. `owner` and `sent` are read off the slot before it is recycled.
   */
  settleAfter(record: TaskRecord, owner: number, sent: number, settle: () => void): void {
    if (record.onProgress === undefined || record.progressSeen >= sent) {
      settle();
      return;
    }
    // The control port is unref'd; hold it so the process waits for the stragglers.
    const release = this.#controls.hold(owner);
    this.#held.set(record.id, { record, owner, sent, settle, release });
  }

  /** The record held under task id `id`, for a progress message that arrives after its result. */
  get(id: number): TaskRecord | undefined {
    return this.#held.get(id)?.record;
  }

  /** A progress message of `record` was delivered: settle it if it was the last one. */
  delivered(record: TaskRecord): void {
    const held = this.#held.get(record.id);
    if (held !== undefined && record.progressSeen >= held.sent) this.#release(held, true);
  }

  /** Gives up waiting for `record` without settling it (it was cancelled or failed meanwhile). */
  drop(record: TaskRecord): void {
    const held = this.#held.get(record.id);
    if (held !== undefined) this.#release(held, false);
  }

  /** Worker `threadId` is gone: its messages will not come; settle what waited for them. */
  ownerGone(threadId: number): void {
    for (const held of this.#held.values()) if (held.owner === threadId) this.#release(held, true);
  }

  /** Settles everything still held (the pool is going away). */
  releaseAll(): void {
    for (const held of this.#held.values()) this.#release(held, true);
  }

  #release(held: Held, settle: boolean): void {
    this.#held.delete(held.record.id);
    held.release();
    if (settle) held.settle();
  }
}
