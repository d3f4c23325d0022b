// The work every peer does, in one place, so a row differs from another only in how the task
// travels — never in what it computes. Plain .mjs: some pools start workers with their own
// execArgv (no tsx), and the inline peer imports the same functions on the main thread.
import { threadId } from 'node:worker_threads';

/** Returns its input: the per-task overhead is all that is left to measure. */
export function noop(x) {
  return x;
}

/**
 * Busy-waits `us` microseconds on the clock, not on a loop count, so a task costs the same
 * wall time on any CPU (what the scenarios state: "tasks of ~5 µs", "~2 ms").
 */
export function spin(us) {
  const end = performance.now() + us / 1_000;
  while (performance.now() < end) {
    // busy: this is the CPU work
  }
  return us;
}

/**
 * Reads one byte per 4 KiB page and sums them: every page is touched (a cloned copy cannot be
 * skipped), but the cost stays small so the transfer scenario measures moving the bytes.
 */
export function sum(bytes) {
  let total = 0;
  for (let i = 0; i < bytes.length; i += 4_096) total += bytes[i];
  return total;
}

/**
 * Spins `us` microseconds, then says which thread ran it (0 on the main thread): how a
 * scenario checks, without a pool's internals, that every thread of a fresh pool is up.
 */
export function whoami(us) {
  spin(us);
  return threadId;
}
