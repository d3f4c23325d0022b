/**
 * What a scenario needs of a pool: start it with a thread count, run one named task, close it.
 * Every pool — Tandem's engine included — is driven through this one shape, so a row differs
 * from another only in the pool under it.
 *
 * @module
 */

/** The task names every worker fixture exports (see `workers/task-bodies.mjs`). */
export type TaskName = 'noop' | 'spin' | 'sum' | 'whoami';

/** A pool under test. `start` and `close` are outside every timed region. */
export interface Peer {
  /** The row label: the package name, or `raw postMessage`, `inline`, `tandem`. */
  readonly name: string;
  /** False for the inline (main-thread) peer, which has no threads to size or sweep. */
  readonly threaded: boolean;
  start(threads: number): Promise<void>;
  /**
   * Runs one task. With `transfer`, the listed buffers are moved rather than cloned and are
   * detached on return.
   */
  run(task: TaskName, input: unknown, transfer?: readonly ArrayBuffer[]): Promise<unknown>;
  close(): Promise<void>;
}

/** The fixture directory, resolved once: peers load their worker files from here. */
export const workersDirectory = new URL('../workers/', import.meta.url);

/**
 * Runs `count` no-op tasks so every thread is spawned, has loaded its module and is JIT-warm
 * before anything is timed. `count` is several per thread because pools that start threads
 * lazily only grow when their queue fills.
 */
export async function warmUp(peer: Peer, threads: number): Promise<void> {
  const count = Math.max(64, threads * 32);
  await Promise.all(Array.from({ length: count }, (_, i) => peer.run('noop', i)));
}
