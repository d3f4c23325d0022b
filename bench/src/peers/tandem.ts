/**
 * Tandem's engine, driven through the same `Peer` shape as every other pool, plus the two
 * things only it has: batched `map` and `stats()`. `@tandem/core` is imported lazily so the
 * peers' rows still run while the engine is being written (the rows then say "not run").
 *
 * @module
 */
import type { Engine } from '@tandem/core';
import type engineTasks from '../workers/engine-tasks.mjs';
import type { Peer, TaskName } from './peer.ts';

type TandemEngine = Engine<typeof engineTasks>;

/** Why the engine could not be loaded, or undefined when it can. Checked once per process. */
let unavailable: Promise<string | undefined> | undefined;

export function tandemUnavailable(): Promise<string | undefined> {
  unavailable ??= import('@tandem/core').then(
    (core) => (typeof core.Engine?.start === 'function' ? undefined : 'no Engine.start export'),
    (error: unknown) => `cannot import @tandem/core (${(error as Error).message.split('\n')[0]})`,
  );
  return unavailable;
}

export class TandemPeer implements Peer {
  readonly name = 'tandem';
  readonly threaded = true;
  #engine: TandemEngine | undefined;

  async start(threads: number): Promise<void> {
    const { Engine } = await import('@tandem/core');
    this.#engine = await Engine.start<typeof engineTasks>({
      tasks: new URL('../workers/engine-tasks.mjs', import.meta.url),
      threads,
      // As every peer's workers: no inherited `--import tsx` (see engine-tasks.mjs).
      execArgv: [],
    });
  }

  run(name: TaskName, input: unknown, transfer?: readonly ArrayBuffer[]): Promise<unknown> {
    // The engine finds the ArrayBuffers in the input itself; the list only says "move them".
    const engine = this.#engine as Engine<any>;
    return transfer ? engine.run(name, input, { transfer: true }) : engine.run(name, input);
  }

  /**
   * Micro-batched: `batch` items per message, results in input order. Without `batch`, the
   * engine's default (what a user who passes no option gets).
   */
  map(name: TaskName, inputs: readonly unknown[], batch?: number): Promise<unknown[]> {
    const engine = this.#engine as Engine<any>;
    return batch === undefined ? engine.map(name, inputs) : engine.map(name, inputs, { batch });
  }

  /**
   * The batch size `map` picks by default for these inputs, observed through the public API:
   * `onProgress` is called once per batch, so the largest step between calls is the batch.
   * Runs the map once (untimed); a peer row can then send the same batches.
   */
  async defaultMapBatch(name: TaskName, inputs: readonly unknown[]): Promise<number> {
    let largest = 0;
    let previous = 0;
    await (this.#engine as Engine<any>).map(name, inputs, {
      onProgress: (done: number) => {
        largest = Math.max(largest, done - previous);
        previous = done;
      },
    });
    return largest;
  }

  /** Starts a fresh window for `loopStats()`, so it covers one round only. */
  resetLoopDelay(): void {
    this.#engine!.resetLoopDelay();
  }

  /** The engine's own view of the loop (ms), printed next to the bench's measurement. */
  loopStats(): { p50: number; p99: number; max: number } {
    return this.#engine!.stats().loop;
  }

  async close(): Promise<void> {
    await this.#engine?.close();
    this.#engine = undefined;
  }
}
