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

/**
 * Resolves once every one of `threads` threads has run a task: a pool may resolve its start
 * before its last thread is up, and a scenario about dispatch must not measure a thread that
 * is still loading. Rounds of short concurrent tasks (1 ms each) that report their thread;
 * gives up after `limit` rounds and says so.
 */
async function everyThreadUp(peer: Peer, threads: number, log: (message: string) => void) {
  const seen = new Set<unknown>();
  const limit = 200;
  for (let round = 0; round < limit && seen.size < threads; round++) {
    const ids = await Promise.all(
      Array.from({ length: threads * 2 }, () => peer.run('whoami', 1_000)),
    );
    for (const id of ids) seen.add(id);
  }
  if (seen.size < threads) log(`  ${peer.name}: only ${seen.size} of ${threads} threads answered`);
}

/**
 * Starts `peer` fresh — no warm-up beyond making sure every thread is up (a few 1 ms tasks,
 * see `everyThreadUp`) — runs `body`, and closes it whatever happens. For scenarios about what
 * a new pool does: dispatch before any history, a fresh engine per batch of work.
 */
export async function withFreshPeer<T>(
  peer: Peer,
  threads: number,
  log: (message: string) => void,
  body: (peer: Peer) => Promise<T>,
): Promise<T> {
  try {
    // Inside the try: a pool that fails half-way through its start is closed too (every
    // peer's close() is safe on a pool that never started).
    await peer.start(threads);
    await everyThreadUp(peer, threads, log);
    return await body(peer);
  } finally {
    await peer.close();
  }
}
