/**
 * A `map` batch whose encoded items (or, once run, whose results together) exceed
 * `maxPayloadBytes` is split in halves until each part fits, each part one job, and the
 * outcomes merged back in order. An item too large on
 * its own fails alone (`PayloadTooLargeError` in the batch's errors), as any other item error:
 * `map` then rejects with `MapItemError` for it, or settles it as rejected with `settle: true`.
 *
 * @module
 */
import { type BatchOutcome, serializeError } from '@tandem/workers';

export function splitBatch(
  items: unknown[],
  error: unknown,
  run: (part: unknown[]) => Promise<BatchOutcome>,
): Promise<BatchOutcome> {
  if (items.length <= 1)
    return Promise.resolve({ values: [], errors: [[0, serializeError(error)]] });
  const half = Math.ceil(items.length / 2);
  return Promise.all([run(items.slice(0, half)), run(items.slice(half))]).then(([a, b]) => {
    const values: unknown[] = new Array(items.length);
    for (let i = 0; i < a.values.length; i++) values[i] = a.values[i];
    for (let i = 0; i < b.values.length; i++) values[half + i] = b.values[i];
    const errors: BatchOutcome['errors'] = [...a.errors];
    for (const [index, failure] of b.errors) errors.push([half + index, failure]);
    return { values, errors };
  });
}
