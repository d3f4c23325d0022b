/**
 * What a finished job means to its caller: its result decoded, or its failure rebuilt (a stall
 * past `maxStalledCount` as `WorkerCrashedError`, a vanished job as `JobLostError`).
 *
 * @module
 */
import { type BatchOutcome, WorkerCrashedError } from '@tandem/workers';
import { JobLostError, WireFormatError } from './errors.js';
import { readFailure } from './failure.js';
import type { JobEntry } from './pending.js';
import type { Found } from './reconcile.js';
import { decode } from './wire.js';

/** How the caller of `entry` settles, given how its job ended. */
export function jobEnd(entry: JobEntry, found: Found): { ok: boolean; value: unknown } {
  if (found.state === 'lost') {
    return { ok: false, value: new JobLostError(entry.id, found.detail) };
  }
  if (found.state === 'failed') {
    const read = readFailure(entry.id, found.failedReason);
    const error =
      'stalled' in read
        ? new WorkerCrashedError(entry.name, undefined, { cause: new Error(read.stalled) })
        : read.error;
    return { ok: false, value: error };
  }
  try {
    const value = decode(found.returnvalue);
    if (entry.batch) checkBatchOutcome(value);
    return { ok: true, value };
  } catch (error) {
    return { ok: false, value: error };
  }
}

function checkBatchOutcome(value: unknown): asserts value is BatchOutcome {
  const outcome = value as Partial<BatchOutcome> | null;
  if (
    typeof outcome !== 'object' ||
    outcome === null ||
    !Array.isArray(outcome.values) ||
    !Array.isArray(outcome.errors)
  ) {
    throw new WireFormatError('a batch result that is not { values, errors }');
  }
}
