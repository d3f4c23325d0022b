/**
 * Piscina, the pool Tandem is built on, called directly with its defaults (one task in flight
 * per worker). The gap between this row and Tandem's is what Tandem's dispatch adds or saves.
 * `tasksPerWorker` > 1 sets piscina's `concurrentTasksPerWorker`: the tuning DESIGN.md cites,
 * shown as its own row where dispatch policy is the question.
 *
 * @module
 */
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { type Peer, type TaskName, workersDirectory } from './peer.ts';

export class PiscinaPeer implements Peer {
  readonly name: string;
  readonly threaded = true;
  readonly #tasksPerWorker: number;
  #pool: Piscina | undefined;

  constructor(tasksPerWorker = 1) {
    this.#tasksPerWorker = tasksPerWorker;
    this.name = tasksPerWorker === 1 ? 'piscina' : `piscina ×${tasksPerWorker} per worker`;
  }

  async start(threads: number): Promise<void> {
    this.#pool = new Piscina({
      filename: fileURLToPath(new URL('named-exports-worker.mjs', workersDirectory)),
      minThreads: threads,
      maxThreads: threads,
      // Unbounded, like every other peer: a full queue would reject instead of measuring.
      maxQueue: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: this.#tasksPerWorker,
      execArgv: [],
    });
  }

  run(name: TaskName, input: unknown, transfer?: readonly ArrayBuffer[]): Promise<unknown> {
    return this.#pool!.run(input, transfer ? { name, transferList: [...transfer] } : { name });
  }

  async close(): Promise<void> {
    await this.#pool?.close();
    this.#pool = undefined;
  }
}
