// Shared memory through which tests and the `gate.ts` fixture meet (see fixtures/gate.ts).
import { setImmediate as nextTurn } from 'node:timers/promises';

export interface Gate {
  cells: Int32Array;
  /** Resolves once `count` blocking tasks have started in workers. */
  started(count: number): Promise<void>;
  open(): void;
  /** True once task `mark` with this index ran. */
  ran(index: number): boolean;
}

export function gate(marks = 8): Gate {
  const cells = new Int32Array(new SharedArrayBuffer(4 * (2 + marks)));
  return {
    cells,
    async started(count) {
      // Atomics.waitAsync wakes on the worker's notify; no polling, no sleeps.
      for (let seen = Atomics.load(cells, 1); seen < count; seen = Atomics.load(cells, 1)) {
        const waiting = Atomics.waitAsync(cells, 1, seen);
        if (waiting.async) await waiting.value;
        else await nextTurn();
      }
    },
    open() {
      Atomics.store(cells, 0, 1);
      Atomics.notify(cells, 0);
    },
    ran: (index) => Atomics.load(cells, 2 + index) === 1,
  };
}

export const fixture = (name: string) => new URL(`./fixtures/${name}.ts`, import.meta.url);
