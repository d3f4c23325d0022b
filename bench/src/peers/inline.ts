/**
 * The same task bodies on the main thread, behind one `await` so callers treat it like a pool.
 * It is the ceiling for tiny tasks (no thread hop at all) and the counter-example for the
 * event loop (it blocks for the whole task).
 *
 * @module
 */
import { noop, spin, sum, whoami } from '../workers/task-bodies.mjs';
import type { Peer, TaskName } from './peer.ts';

const bodies = { noop, spin, sum, whoami };

export class InlinePeer implements Peer {
  readonly name = 'inline';
  readonly threaded = false;

  async start(): Promise<void> {}

  async run(name: TaskName, input: unknown): Promise<unknown> {
    return (bodies[name] as (input: unknown) => unknown)(input);
  }

  async close(): Promise<void> {}
}
