/**
 * Starting, warming and always closing a set of peers around a scenario body. A peer that fails
 * to start is dropped with a logged reason (its rows are then absent, and targets that need it
 * say "not run"); the rest carry on. Every started peer is closed, whatever happens, so the
 * process can exit by itself.
 *
 * @module
 */
import { type Peer, warmUp } from './peer.ts';

export async function withStartedPeers<T>(
  peers: readonly Peer[],
  threads: number,
  log: (message: string) => void,
  body: (started: readonly Peer[]) => Promise<T>,
): Promise<T> {
  const started: Peer[] = [];
  try {
    for (const peer of peers) {
      try {
        await peer.start(threads);
        started.push(peer);
        await warmUp(peer, threads);
      } catch (error) {
        log(`  ${peer.name}: failed to start, left out (${(error as Error).message})`);
        if (started.at(-1) === peer) started.pop();
        // Best effort: a half-started pool may not close cleanly, and its error is logged above.
        await peer.close().catch(() => {});
      }
    }
    return await body(started);
  } finally {
    await Promise.all(started.map((peer) => peer.close()));
  }
}
