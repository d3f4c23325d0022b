/**
 * Progress of one job, throttled. A task may report progress thousands of times a second, and
 * each report sent is two Redis commands (`HSET` + `XADD`) and an event for every listener, so
 * at most one value per interval goes out: the first at once (leading), the latest of the
 * window at its end (trailing). Sends are chained, so they reach Redis in order, and `flush()`
 * lets the processor send the last value before the job completes.
 *
 * @module
 */
import { startTimer, type Timer } from '@tandem/workers/internal';

/** Ms between two progress values sent for one job. */
export const PROGRESS_INTERVAL_MS = 100;

export class ProgressThrottle {
  readonly #interval: number;
  readonly #send: (value: string) => Promise<unknown>;
  readonly #onError: (error: unknown) => void;
  #timer: Timer | undefined;
  /** The latest value of the current window, not sent yet. */
  #pending: string | undefined;
  #chain: Promise<void> = Promise.resolve();
  #done = false;

  /** `send` errors (Redis down…) go to `onError`: a lost progress value never fails the job. */
  constructor(
    interval: number,
    send: (value: string) => Promise<unknown>,
    onError: (error: unknown) => void,
  ) {
    this.#interval = interval;
    this.#send = send;
    this.#onError = onError;
  }

  /** Sends `value` now, or at the end of the current window if one is open. Ignored once done. */
  push(value: string): void {
    if (this.#done) return;
    if (this.#timer !== undefined) {
      this.#pending = value;
      return;
    }
    this.#emit(value);
    this.#open();
  }

  /** Sends the value still pending, then resolves once every send has settled. */
  async flush(): Promise<void> {
    if (!this.#done) {
      this.#done = true;
      this.#timer?.cancel();
      this.#timer = undefined;
      const last = this.#pending;
      this.#pending = undefined;
      if (last !== undefined) this.#emit(last);
    }
    await this.#chain;
  }

  /** Drops the value pending and sends nothing more (the job failed or was abandoned). */
  cancel(): void {
    this.#done = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#pending = undefined;
  }

  #open(): void {
    this.#timer = startTimer(this.#interval, () => {
      this.#timer = undefined;
      const next = this.#pending;
      this.#pending = undefined;
      if (next === undefined) return;
      this.#emit(next);
      this.#open();
    });
  }

  #emit(value: string): void {
    // `send` throwing synchronously rejects here too; `onError` keeps the chain alive.
    this.#chain = this.#chain
      .then(() => this.#send(value))
      .then(
        () => {},
        (error: unknown) => this.#onError(error),
      );
  }
}
