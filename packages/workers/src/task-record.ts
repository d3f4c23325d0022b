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
  /** The caller's promise and its settlers (on the record itself: one object less per task). */
  readonly promise: Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
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
  /** Never sent with others again (a message it was in could not be posted). */
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

export function newTaskRecord(
  id: number,
  name: string,
  input: unknown,
  mode: number,
  submittedAt: number,
): TaskRecord {
  let resolve!: (value: unknown) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<unknown>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return {
    id,
    name,
    input,
    mode,
    transferList: noBuffers,
    timeout: undefined,
    onProgress: undefined,
    promise,
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
