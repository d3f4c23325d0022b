/**
 * `map`: many small inputs through one task, several items per message. Per-task overhead
 * (a message each way, a clone, a wake-up) dwarfs a 5 µs task; a batch pays it once for
 * hundreds of items.
 *
 * @module
 */

import { deserializeError } from './codec.js';
import type { TaskMap } from './define.js';
import { MapItemError } from './errors.js';
import type { WorkerPool } from './pool.js';
import type { BatchResult } from './protocol.js';
import { checkInteger, checkSignal } from './validate.js';

/** Options of `map`. */
export interface MapOptions {
  /**
   * Items per message. Default: enough for about 8 batches per thread, between 1 and 512, so
   * that every thread stays busy and a batch stays short enough to cancel promptly.
   */
  batch?: number | undefined;
  /** Resolve with one `PromiseSettledResult` per item instead of rejecting on the first failure. */
  settle?: boolean | undefined;
  /** Cancels every batch not yet finished; the map rejects with `signal.reason`. */
  signal?: AbortSignal | undefined;
  /** Ms the whole map may take (queue time included), as `deadline` of `run`. */
  deadline?: number | undefined;
  /** Called after each batch with the number of items done and the total. */
  onProgress?: ((done: number, total: number) => void) | undefined;
}

/** The default batch size for `count` items on `threads` threads. */
export function autoBatchSize(count: number, threads: number): number {
  return Math.min(512, Math.max(1, Math.ceil(count / (threads * 8))));
}

/**
 * Runs task `name` on every input, in batches, and returns results in input order. The first
 * failing item (in completion order) cancels the batches not yet done, and the map rejects,
 * once they have all settled, with `MapItemError` (`ERR_TANDEM_MAP_ITEM_FAILED`, `index`,
 * `cause`). With `settle: true` it resolves with a settled result per item instead.
 */
export async function mapBatched<Tasks extends TaskMap>(
  pool: WorkerPool<Tasks>,
  name: string,
  inputs: Iterable<unknown>,
  options: MapOptions = {},
): Promise<unknown[]> {
  const { settle = false, signal, deadline, onProgress } = options;
  if (options.batch !== undefined) checkInteger('options.batch', options.batch, 1);
  checkSignal('options.signal', signal);
  signal?.throwIfAborted();
  const items = Array.from(inputs);
  const size = options.batch ?? autoBatchSize(items.length, pool.options.threads);
  const results: unknown[] = new Array(items.length);
  // One controller for the whole map: the caller's signal or the first failure aborts it.
  const controller = new AbortController();
  const forward = () => controller.abort(signal!.reason);
  signal?.addEventListener('abort', forward, { once: true });
  let failure: { error: unknown } | undefined;
  let done = 0;

  const runOne = async (start: number): Promise<void> => {
    const chunk = items.slice(start, start + size);
    try {
      const { values, errors } = (await pool.runBatch(name, chunk, {
        signal: controller.signal,
        deadline,
      })) as BatchResult;
      const failed = new Map(errors);
      for (let i = 0; i < chunk.length; i++) {
        const error = failed.get(i);
        if (error === undefined)
          results[start + i] = settle ? { status: 'fulfilled', value: values[i] } : values[i];
        else if (settle)
          results[start + i] = { status: 'rejected', reason: deserializeError(error) };
        else fail(new MapItemError(name, start + i, deserializeError(error)));
      }
    } catch (error) {
      if (!settle || controller.signal.aborted) return fail(error);
      for (let i = 0; i < chunk.length; i++)
        results[start + i] = { status: 'rejected', reason: error };
    }
    done += chunk.length;
    onProgress?.(done, items.length);
  };
  const fail = (error: unknown): void => {
    if (failure !== undefined) return;
    failure = { error: controller.signal.aborted ? controller.signal.reason : error };
    controller.abort(failure.error);
  };

  const batches: Promise<void>[] = [];
  for (let start = 0; start < items.length; start += size) batches.push(runOne(start));
  await Promise.all(batches);
  signal?.removeEventListener('abort', forward);
  if (failure !== undefined) throw failure.error;
  return results;
}
