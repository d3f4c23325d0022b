/**
 * The simplest `run()` a pool could offer for calls issued together: each call gets its own
 * promise, the calls made in one tick are gathered and sent `batch` to a message over bare
 * `postMessage` (`RawPostMessagePeer.runBatch`), and each promise settles from its batch's
 * answer. Nothing else: no checks, no queue bound, no cancellation, no crash recovery: the
 * caller's own promises plus plain batched messaging. run-burst prints it as the ceiling (a
 * leaner messaging could beat it; nothing beats the floor row, the promises alone).
 *
 * @module
 */
import type { TaskName } from './peer.ts';
import type { RawPostMessagePeer } from './raw-post-message.ts';

export function coalescedRun(
  raw: RawPostMessagePeer,
  name: TaskName,
  batch: number,
): (input: unknown) => Promise<unknown> {
  let inputs: unknown[] = [];
  let settlers: ((value: unknown) => void)[] = [];
  let failers: ((error: unknown) => void)[] = [];
  const flush = () => {
    for (let start = 0; start < inputs.length; start += batch) {
      const resolve = settlers.slice(start, start + batch);
      const reject = failers.slice(start, start + batch);
      raw.runBatch(name, inputs.slice(start, start + batch)).then(
        (results) => {
          for (let i = 0; i < results.length; i++) resolve[i]!(results[i]);
        },
        (error) => {
          for (const fail of reject) fail(error);
        },
      );
    }
    inputs = [];
    settlers = [];
    failers = [];
  };
  return (input) => {
    if (inputs.length === 0) queueMicrotask(flush);
    inputs.push(input);
    return new Promise((resolve, reject) => {
      settlers.push(resolve);
      failers.push(reject);
    });
  };
}
