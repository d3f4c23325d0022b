/**
 * What the pool keeps about one submitted task, from submit to settle.
 *
 * @module
 */
import type { Timer } from './timer.js';

export interface TaskRecord {
  readonly id: number;
  readonly name: string;
  readonly input: unknown;
  mode: number;
  transferList: ArrayBuffer[];
  timeout: number | undefined;
  /** The caller's callback, bound to the caller's async context. */
  onProgress: ((value: unknown) => void) | undefined;
  /** The settlers of the caller's promise. */
  readonly resolve: (value: unknown) => void;
  /**
   * Undefined for a call that waited for room with no option (see `WaitingCalls`): its
   * promise is rejected by resolving it with a {@link Rejection}.
   */
  readonly reject: ((reason: unknown) => void) | undefined;
  /** The caller's promise has resolved or rejected. */
  settled: boolean;
  /**
   * Where the task is: waiting for room, in the pool's queue, held by a worker, or done with
   * its worker.
   */
  where: 'waiting' | 'queued' | 'worker' | 'done';
  /** Set when the caller's side removed it from a queue (see `Fifo`). */
  removed: boolean;
  /** Why it was cancelled (the signal's reason, a timeout error, a callback's error), once it was. */
  reason: unknown;
  /** Its slot in the shared table while a worker holds it; -1 otherwise. */
  slot: number;
  /**
   * Never sent with others again: a message it was in could not be posted, or it finished in a
   * worker that died of nothing known (alone, it is blamed if it was the cause).
   */
  solo: boolean;
  submittedAt: number;
  dispatchedAt: number;
  /** When its worker let go of it (0 until then, and again once sent anew). */
  releasedAt: number;
  /** When it was cancelled while running (its worker goes on until it lets go); 0 otherwise. */
  cancelledAt: number;
  redispatches: number;
  /** Counts from submit; armed when a deadline was given. */
  deadlineTimer: Timer | undefined;
  /** Counts from the worker's start report; armed when a timeout was given. */
  timeoutTimer: Timer | undefined;
  graceTimer: Timer | undefined;
  unlisten: (() => void) | undefined;
  /** Already subtracted from the pool's count of unsettled tasks. */
  counted: boolean;
}

/** The transfer list of a task that moves nothing (shared: never written to). */
export const noBuffers: ArrayBuffer[] = [];

/** The settlers of the promise {@link pendingPromise} made last (read them at once). */
export const madeLast: {
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
} = { resolve: () => {}, reject: () => {} };

// One executor for every promise: no closure (and no context) allocated per task.
function capture(resolve: (value: unknown) => void, reject: (reason: unknown) => void): void {
  madeLast.resolve = resolve;
  madeLast.reject = reject;
}

/**
 * A thenable that rejects with `reason`: a promise resolved with it rejects (one microtask
 * later than its reject function would), so a caller's promise can be failed through
 * `resolve` alone.
 */
export class Rejection {
  constructor(readonly reason: unknown) {}
  // biome-ignore lint/suspicious/noThenProperty: being a thenable is the point.
  then(_resolve: unknown, reject: (reason: unknown) => void): void {
    reject(this.reason);
  }
}

/** A new pending promise; its settlers are in {@link madeLast} until the next call. */
export function pendingPromise(): Promise<unknown> {
  return new Promise(capture);
}

export function newTaskRecord(
  id: number,
  name: string,
  input: unknown,
  mode: number,
  submittedAt: number,
  resolve: (value: unknown) => void,
  reject: ((reason: unknown) => void) | undefined,
): TaskRecord {
  return {
    id,
    name,
    input,
    mode,
    transferList: noBuffers,
    timeout: undefined,
    onProgress: undefined,
    resolve,
    reject,
    settled: false,
    where: 'waiting',
    removed: false,
    reason: undefined,
    slot: -1,
    solo: false,
    submittedAt,
    dispatchedAt: 0,
    releasedAt: 0,
    cancelledAt: 0,
    redispatches: 0,
    deadlineTimer: undefined,
    timeoutTimer: undefined,
    graceTimer: undefined,
    unlisten: undefined,
    counted: false,
  };
}
