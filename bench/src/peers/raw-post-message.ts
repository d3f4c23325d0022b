/**
 * The floor: bare `worker_threads` with `postMessage`, every task in flight at once, each sent to
 * the thread with the fewest outstanding tasks. No queue, no codec, no cancellation — nothing a
 * real pool must do, so no pool should beat it per message.
 *
 * @module
 */
import { Worker } from 'node:worker_threads';
import { type Peer, type TaskName, workersDirectory } from './peer.ts';

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface Thread {
  worker: Worker;
  outstanding: number;
}

export class RawPostMessagePeer implements Peer {
  readonly name = 'raw postMessage';
  readonly threaded = true;
  #threads: Thread[] = [];
  #pending = new Map<number, Pending>();
  #nextId = 0;

  async start(threads: number): Promise<void> {
    const url = new URL('raw-worker.mjs', workersDirectory);
    // An empty execArgv: the fixture is plain JavaScript and needs no tsx loader.
    this.#threads = Array.from({ length: threads }, () => {
      const thread = { worker: new Worker(url, { execArgv: [] }), outstanding: 0 };
      thread.worker.on('message', ({ id, result }: { id: number; result: unknown }) => {
        thread.outstanding--;
        const pending = this.#pending.get(id);
        this.#pending.delete(id);
        pending?.resolve(result);
      });
      thread.worker.on('error', (error) => this.#failAll(error));
      return thread;
    });
    await Promise.all(
      this.#threads.map(({ worker }) => new Promise((resolve) => worker.once('online', resolve))),
    );
  }

  run(name: TaskName, input: unknown, transfer?: readonly ArrayBuffer[]): Promise<unknown> {
    return this.#send({ name, input, batch: false }, transfer);
  }

  /** Many inputs in one message, results in one message: the floor for batching. */
  runBatch(name: TaskName, inputs: readonly unknown[]): Promise<unknown[]> {
    return this.#send({ name, input: inputs, batch: true }) as Promise<unknown[]>;
  }

  #send(
    message: { name: TaskName; input: unknown; batch: boolean },
    transfer?: readonly ArrayBuffer[],
  ): Promise<unknown> {
    let target = this.#threads[0]!;
    for (const thread of this.#threads) {
      if (thread.outstanding < target.outstanding) target = thread;
    }
    const id = this.#nextId++;
    target.outstanding++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      target.worker.postMessage({ id, ...message }, transfer ? [...transfer] : undefined);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#threads.map(({ worker }) => worker.terminate()));
    this.#threads = [];
  }

  #failAll(error: unknown): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}
