/**
 * `map`: many small inputs through one task, several items per message. Per-task overhead
 * (a message each way, a clone, a wake-up) dwarfs a 5 µs task; a batch pays it once for
 * hundreds of items.
 *
 * @module
 */

import { kRunBatch, type TaskBackend } from './backend.js';
import { deserializeError } from './codec.js';
import {
  CallbackError,
  InvalidArgumentError,
  MapItemError,
  UncloneableInputError,
  WorkerCrashedError,
} from './errors.js';
import { kBatchItem } from './pool.js';
import { inspectValue } from './transfer.js';
import { checkDuration, checkFunction, checkInteger, checkSignal } from './validate.js';

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
  /**
   * Called after each batch with the number of items done and the total. If it throws, the
   * map is cancelled and rejects with `CallbackError` (`ERR_TANDEM_CALLBACK_FAILED`).
   */
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
 * `cause`) — an item that crashes its worker included. With `settle: true` it resolves with a
 * settled result per item instead: items that fail (a throw, a result that cannot be cloned, a
 * crash) reject alone, and the items of a crashed batch that did not crash are run again.
 */
export async function mapBatched(
  pool: Pick<TaskBackend, 'threads' | typeof kRunBatch>,
  name: string,
  inputs: Iterable<unknown>,
  options: MapOptions = {},
): Promise<unknown[]> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`Expected options to be an object, got ${options}`);
  }
  const { settle = false, signal, deadline, onProgress } = options;
  if (options.batch !== undefined) checkInteger('options.batch', options.batch, 1);
  checkSignal('options.signal', signal);
  checkDuration('options.deadline', deadline);
  if (onProgress !== undefined) checkFunction('options.onProgress', onProgress);
  if (typeof (inputs as { [Symbol.iterator]?: unknown } | null)?.[Symbol.iterator] !== 'function') {
    throw new InvalidArgumentError(
      `Expected inputs to be an iterable (an array, a Set, a generator…), got ${inputs === null ? 'null' : typeof inputs}`,
    );
  }
  signal?.throwIfAborted();
  const items = Array.from(inputs);
  const size = options.batch ?? autoBatchSize(items.length, pool.threads);
  const results: unknown[] = new Array(items.length);
  // One controller for the whole map: the caller's signal or the first failure aborts it.
  const controller = new AbortController();
  const forward = () => controller.abort(signal!.reason);
  signal?.addEventListener('abort', forward, { once: true });
  let failure: { error: unknown } | undefined;
  let done = 0;

  const fail = (error: unknown): void => {
    if (failure !== undefined) return;
    failure = { error: controller.signal.aborted ? controller.signal.reason : error };
    controller.abort(failure.error);
  };
  const rejectItem = (index: number, error: unknown): void => {
    if (settle) results[index] = { status: 'rejected', reason: error };
    else fail(new MapItemError(name, index, error));
  };

  /** Runs `indexes` (input positions) as one batch; a crash re-runs the innocent ones. */
  const runIndexes = async (indexes: number[]): Promise<void> => {
    const chunk = indexes.map((index) => items[index]);
    try {
      const { values, errors } = await pool[kRunBatch](name, chunk, {
        signal: controller.signal,
        deadline,
      });
      const failed = new Map(errors);
      for (let i = 0; i < chunk.length; i++) {
        const error = failed.get(i);
        const index = indexes[i]!;
        if (error !== undefined) rejectItem(index, deserializeError(error));
        else results[index] = settle ? { status: 'fulfilled', value: values[i] } : values[i];
      }
    } catch (error) {
      if (controller.signal.aborted) return fail(error);
      if (error instanceof UncloneableInputError && indexes.length > 1) {
        // Refused before anything was sent: find the items at fault, run the others.
        return runSendable(indexes);
      }
      const crashed = crashedItem(error);
      if (crashed === undefined || crashed >= indexes.length) {
        if (!settle) return fail(error);
        for (const index of indexes) results[index] = { status: 'rejected', reason: error };
      } else {
        rejectItem(indexes[crashed]!, error);
        const others = indexes.filter((_, i) => i !== crashed);
        if (others.length > 0 && !controller.signal.aborted) return runIndexes(others);
        return;
      }
    }
    done += indexes.length;
    if (onProgress === undefined || controller.signal.aborted) return;
    try {
      onProgress(done, items.length);
    } catch (error) {
      fail(new CallbackError('onProgress', error));
    }
  };

  const runSendable = (indexes: number[]): Promise<void> | undefined => {
    const sendable: number[] = [];
    for (const index of indexes) {
      const { problem } = inspectValue(items[index], false, `inputs[${index}]`);
      if (problem === undefined) sendable.push(index);
      else rejectItem(index, new UncloneableInputError(name, problem.path, problem.kind));
    }
    return sendable.length > 0 && !controller.signal.aborted ? runIndexes(sendable) : undefined;
  };

  const batches: Promise<void>[] = [];
  for (let start = 0; start < items.length; start += size) {
    const end = Math.min(start + size, items.length);
    batches.push(runIndexes(Array.from({ length: end - start }, (_, i) => start + i)));
  }
  try {
    await Promise.all(batches);
  } finally {
    signal?.removeEventListener('abort', forward);
  }
  if (failure !== undefined) throw failure.error;
  return results;
}

/** The item of a batch that was running when its worker died, when the pool knows it. */
function crashedItem(error: unknown): number | undefined {
  if (!(error instanceof WorkerCrashedError)) return undefined;
  return (error as unknown as { [kBatchItem]?: number })[kBatchItem];
}
