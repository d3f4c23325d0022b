// Shared test helpers: a mock clock tied to `t.mock.timers`, and a way to let promise chains run.
import type { TestContext } from 'node:test';
import { mockTimersClock, setClock } from '@tandem/workers/internal';

/** Drives Tandem's clock with `t.mock.timers`; restored when the test ends. */
export function useMockClock(t: TestContext): TestContext['mock']['timers'] {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const previous = setClock(mockTimersClock);
  t.after(() => setClock(previous));
  return t.mock.timers;
}

/** Lets every pending promise reaction run (setImmediate is not mocked). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Resolves when `signal` aborts, never otherwise; rejects with its reason. */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** Tracks whether a promise has settled, without handling its rejection twice. */
export function track<T>(promise: Promise<T>): { settled: () => boolean; promise: Promise<T> } {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  return { settled: () => settled, promise };
}
