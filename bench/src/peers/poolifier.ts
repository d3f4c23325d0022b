/**
 * poolifier's FixedThreadPool with its defaults (least-used worker choice, no per-worker queue).
 *
 * @module
 */
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { FixedThreadPool } from 'poolifier';
import { type Peer, type TaskName, workersDirectory } from './peer.ts';

export class PoolifierPeer implements Peer {
  readonly name = 'poolifier';
  readonly threaded = true;
  #pool: FixedThreadPool<unknown, unknown> | undefined;

  async start(threads: number): Promise<void> {
    this.#pool = new FixedThreadPool(
      threads,
      fileURLToPath(new URL('poolifier-worker.mjs', workersDirectory)),
      { workerOptions: { execArgv: [] } },
    );
  }

  run(name: TaskName, input: unknown, transfer?: readonly ArrayBuffer[]): Promise<unknown> {
    return this.#pool!.execute(input, name, undefined, transfer);
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    if (!pool) return;
    // poolifier 5.3.2 unrefs each worker and then waits for its 'exit' event. When nothing else
    // holds the loop open, the process can exit first with destroy() unsettled (exit code 13,
    // seen here about one run in ten). A ref'd timer holds the loop open and bounds the wait.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(resolve, 5_000, 'timeout');
    });
    const outcome = await Promise.race([pool.destroy(), deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      // Seen here too (about one close in fifteen): the threads are then ended directly, so the
      // run goes on, and the warning keeps it visible.
      process.emitWarning('poolifier destroy() did not settle within 5 s; terminating its threads');
      const { workerNodes } = pool as unknown as { workerNodes: { worker: Worker }[] };
      await Promise.all(workerNodes.map(({ worker }) => worker.terminate()));
    }
  }
}
