/**
 * Tinypool (vitest's fork of Piscina) with its defaults, threads runtime.
 *
 * @module
 */
import { Tinypool } from 'tinypool';
import { type Peer, type TaskName, workersDirectory } from './peer.ts';

export class TinypoolPeer implements Peer {
  readonly name = 'tinypool';
  readonly threaded = true;
  #pool: Tinypool | undefined;

  async start(threads: number): Promise<void> {
    this.#pool = new Tinypool({
      filename: new URL('named-exports-worker.mjs', workersDirectory).href,
      minThreads: threads,
      maxThreads: threads,
      execArgv: [],
    });
  }

  run(name: TaskName, input: unknown, transfer?: readonly ArrayBuffer[]): Promise<unknown> {
    return this.#pool!.run(input, transfer ? { name, transferList: [...transfer] } : { name });
  }

  async close(): Promise<void> {
    await this.#pool?.destroy();
    this.#pool = undefined;
  }
}
