/**
 * What the pool keeps about one submitted task, from submit to settle.
 *
 * @module
 */
import type { TimerHandle } from './clock.js';

export interface TaskRecord {
  readonly id: number;
  readonly name: string;
  readonly input: unknown;
  mode: number;
  transferList: ArrayBuffer[];
  timeout: number | undefined;
  onProgress: ((value: unknown) => void) | undefined;
  /** Progress messages delivered, and (once the result is in) how many were sent. */
  progressSeen: number;
  progressSent: number;
  /** A settlement held back until the last progress message arrives, and from which worker. */
  afterProgress: (() => void) | undefined;
  progressOwner: number;
  /** The caller's promise; `settled` once it has resolved or rejected. */
  readonly caller: {
    promise: Promise<unknown>;
    resolve(value: unknown): void;
    reject(reason: unknown): void;
    settled: boolean;
  };
  /** Where the task is: waiting for room, in the pool's queue, held by a worker, or done. */
  where: 'waiting' | 'queued' | 'worker' | 'done';
  /** Set when the caller's side removed it from a queue (see `Fifo`). */
  removed: boolean;
  /** Why it was cancelled (the signal's reason or a timeout error), once it was. */
  reason: unknown;
  slot: number;
  submittedAt: number;
  dispatchedAt: number;
  redispatches: number;
  /** The deadline timer, then (once started) the timeout timer. */
  timer: TimerHandle | undefined;
  graceTimer: TimerHandle | undefined;
  unlisten: (() => void) | undefined;
  /** Already subtracted from the pool's count of unsettled tasks. */
  counted: boolean;
}

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
    transferList: [],
    timeout: undefined,
    onProgress: undefined,
    progressSeen: 0,
    progressSent: 0,
    afterProgress: undefined,
    progressOwner: 0,
    caller: { promise, resolve, reject, settled: false },
    where: 'waiting',
    removed: false,
    reason: undefined,
    slot: -1,
    submittedAt,
    dispatchedAt: 0,
    redispatches: 0,
    timer: undefined,
    graceTimer: undefined,
    unlisten: undefined,
    counted: false,
  };
}
