/**
 * How many tasks each worker holds at once (one runs, the rest wait inside it). Deep enough
 * and a worker never idles between messages — tiny tasks need dozens in line; shallow enough
 * and a long task does not hold others hostage while another worker is free. With `'auto'`
 * the depth follows the tasks: it keeps about {@link TARGET_QUEUED_MS} of work waiting in
 * each worker, estimated from how fast the pool completes tasks while it is saturated.
 *
 * @module
 */
import { clock } from './clock.js';

/** Work, in ms, that `'auto'` keeps waiting inside each busy worker. */
export const TARGET_QUEUED_MS = 1;
/** The deepest `'auto'` goes (also the most Piscina is told a worker may hold). */
export const MAX_AUTO_DEPTH = 64;
const MIN_AUTO_DEPTH = 2;
/** Weight of the newest gap in the moving average of gaps between completions. */
const SMOOTHING = 0.05;

export class DispatchDepth {
  readonly #threads: number;
  readonly #fixed: number | undefined;
  #depth: number;
  #lastCompletion = 0;
  #meanGapMs = 0;

  constructor(threads: number, setting: number | 'auto') {
    this.#threads = threads;
    this.#fixed = setting === 'auto' ? undefined : setting;
    this.#depth = this.#fixed ?? 4;
  }

  /** Tasks each worker may hold now. */
  get perWorker(): number {
    return this.#depth;
  }

  /** Tasks all workers may hold now. */
  get capacity(): number {
    return this.#depth * this.#threads;
  }

  /**
   * Called when a task leaves a worker. `saturated` says every worker had work queued, so the
   * gap since the previous completion measures service time (threads × gap per task).
   */
  onCompletion(saturated: boolean): void {
    if (this.#fixed !== undefined) return;
    const now = clock().now();
    const gap = now - this.#lastCompletion;
    this.#lastCompletion = now;
    if (!saturated) return;
    this.#meanGapMs =
      this.#meanGapMs === 0 ? gap : this.#meanGapMs + SMOOTHING * (gap - this.#meanGapMs);
    const serviceMs = Math.max(this.#meanGapMs * this.#threads, 1e-3);
    const waiting = Math.floor(TARGET_QUEUED_MS / serviceMs);
    this.#depth = Math.min(MAX_AUTO_DEPTH, Math.max(MIN_AUTO_DEPTH, 1 + waiting));
  }
}
