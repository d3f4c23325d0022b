// Settling within a bound: the fuzz properties' one use of wall-clock time. The bound is
// generous (seconds for tasks of microseconds), so only a call that hangs exceeds it.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { bound } from './settings.ts';

/** How a call ended: with a value, an error, or not at all within the bound. */
export type Outcome =
  | { status: 'fulfilled'; value: unknown }
  | { status: 'rejected'; reason: unknown }
  | { status: 'unsettled' };

/** Waits for `promise` for at most `ms`, without ever rejecting. */
export function settleWithin(promise: Promise<unknown>, ms = bound): Promise<Outcome> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ status: 'unsettled' }), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve({ status: 'fulfilled', value });
      },
      (reason: unknown) => {
        clearTimeout(timer);
        resolve({ status: 'rejected', reason });
      },
    );
  });
}

/**
 * Calls `start` and waits for what it returns. A synchronous throw counts as a rejection: a
 * caller of an async API sees both the same way, and the properties judge the error itself.
 */
export function attempt(start: () => unknown, ms = bound): Promise<Outcome> {
  let promise: Promise<unknown>;
  try {
    promise = Promise.resolve(start());
  } catch (reason) {
    return Promise.resolve({ status: 'rejected', reason });
  }
  return settleWithin(promise, ms);
}

/**
 * Waits until `condition()` holds, looking again every few milliseconds, for at most `ms`.
 * For states that end with no event to wait on (a skipped task leaving a worker, an OS
 * thread ending); true when it held in time.
 */
export async function eventually(condition: () => boolean, ms = bound): Promise<boolean> {
  const until = performance.now() + ms;
  for (;;) {
    if (condition()) return true;
    if (performance.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Lets every pending reaction and the callbacks queued behind them run. */
export async function turns(count = 3): Promise<void> {
  for (let i = 0; i < count; i++) await nextTurn();
}

/** A call being watched: how it has ended so far, and a bounded wait for its end. */
export interface Watched {
  /** The outcome once settled; undefined while pending. */
  readonly current: Outcome | undefined;
  /** Waits for the end, for at most `ms` from now. */
  wait(ms?: number): Promise<Outcome>;
}

/** Starts a call (a synchronous throw counts as a rejection) and watches it. */
export function watch(start: () => unknown): Watched {
  let promise: Promise<unknown>;
  try {
    promise = Promise.resolve(start());
  } catch (reason) {
    promise = Promise.reject(reason);
  }
  let current: Outcome | undefined;
  promise.then(
    (value) => {
      current = { status: 'fulfilled', value };
    },
    (reason: unknown) => {
      current = { status: 'rejected', reason };
    },
  );
  return {
    get current() {
      return current;
    },
    wait: (ms = bound) => settleWithin(promise, ms),
  };
}

/** Real time passing, for a timer that must not have fired yet: `ms` of nothing. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
