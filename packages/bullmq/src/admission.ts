/**
 * The bound on a producer: at most `maxQueue` jobs waited for at once (default 10 000). Past
 * it, `onFull: 'reject'` refuses a run with `QueueFullError`; `'wait'` holds the caller, first
 * come first served, until a job leaves — or its signal aborts, or its deadline passes.
 *
 * @module
 */
import { clock, QueueFullError, TaskTimeoutError } from '@tandem/workers';
import { type Deferred, deferred, startTimer } from '@tandem/workers/internal';

export class Admission {
  readonly maxQueue: number;
  readonly onFull: 'wait' | 'reject';
  readonly #line: Deferred<void>[] = [];
  /** Callers let in whose job is not created yet: their places are held. */
  #admitted = 0;

  constructor(maxQueue: number, onFull: 'wait' | 'reject') {
    this.maxQueue = maxQueue;
    this.onFull = onFull;
  }

  /** Callers waiting for room (they count as queued). */
  get waiting(): number {
    return this.#line.length + this.#admitted;
  }

  /** Whether a new job may be created now beside `pending` ones (nobody is ahead in line). */
  hasRoom(pending: number): boolean {
    return pending + this.waiting < this.maxQueue;
  }

  /** Throws `QueueFullError` under `onFull: 'reject'`; call when there is no room. */
  refuse(): void {
    if (this.onFull === 'reject') throw new QueueFullError(this.maxQueue);
  }

  /**
   * Waits for room; resolves with the ms waited. The caller must call {@link entered} once
   * its job is created (or it gave up). Rejects with `signal.reason`, or `TaskTimeoutError`
   * when `deadline` ms pass first.
   */
  async wait(
    name: string,
    signal: AbortSignal | undefined,
    deadline: number | undefined,
  ): Promise<number> {
    const since = clock().now();
    const gate = deferred<void>();
    const onAbort = () => gate.reject(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      deadline === undefined
        ? undefined
        : startTimer(deadline, () => gate.reject(new TaskTimeoutError(name, deadline, 'deadline')));
    this.#line.push(gate);
    try {
      await gate.promise;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      timer?.cancel();
      const at = this.#line.indexOf(gate);
      if (at !== -1) this.#line.splice(at, 1);
    }
    return clock().now() - since;
  }

  /** A caller let in by {@link wait} has created its job (or given up): its place is freed. */
  entered(): void {
    this.#admitted--;
  }

  /** A job left: the longest waiting caller gets its place. */
  leave(pending: number): void {
    if (this.#line.length > 0 && pending + this.waiting <= this.maxQueue) {
      this.#admitted++;
      this.#line.shift()!.resolve();
    }
  }

  /** Lets every waiting caller through (to find the producer destroyed). */
  releaseAll(): void {
    for (const gate of this.#line.splice(0)) {
      this.#admitted++;
      gate.resolve();
    }
  }
}
