/**
 * workerpool with worker threads (`workerType: 'thread'`) and a fixed size.
 *
 * @module
 */
import { fileURLToPath } from 'node:url';
import workerpool from 'workerpool';
import { type Peer, type TaskName, workersDirectory } from './peer.ts';

export class WorkerpoolPeer implements Peer {
  readonly name = 'workerpool';
  readonly threaded = true;
  #pool: workerpool.Pool | undefined;

  async start(threads: number): Promise<void> {
    this.#pool = workerpool.pool(
      fileURLToPath(new URL('workerpool-worker.mjs', workersDirectory)),
      {
        minWorkers: threads,
        maxWorkers: threads,
        workerType: 'thread',
        workerThreadOpts: { execArgv: [] },
      },
    );
  }

  run(name: TaskName, input: unknown, transfer?: readonly ArrayBuffer[]): Promise<unknown> {
    // workerpool returns its own Promise type; wrap it so callers see a native promise.
    return Promise.resolve(
      this.#pool!.exec(name, [input], transfer ? { transfer: [...transfer] } : undefined),
    );
  }

  async close(): Promise<void> {
    await this.#pool?.terminate();
    this.#pool = undefined;
  }
}
