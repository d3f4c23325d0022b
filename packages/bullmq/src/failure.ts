/**
 * Errors across BullMQ. BullMQ keeps only `err.message` as a job's `failedReason` (and the
 * stack in `stacktrace`), so a worker throws a carrier whose message ends with the Tandem
 * codec's data on a line of its own; the producer rebuilds the error with its class, `code`,
 * `cause` and properties from that line. A reason without it did not come from a Tandem worker.
 *
 * @module
 */
import { deserializeError, type SerializedError, serializeError } from '@tandem/workers';
import { RemoteFailureError } from './errors.js';
import { decode, encode } from './wire.js';

/** Marks the codec line of a carrier's message. */
const MARK = '\n~tandem1~';
/** Past this the error is sent without `cause`, `errors` and extra properties. */
const MAX_ENCODED_ERROR = 64 * 1024;
/** BullMQ's reason for a job that stalled more often than `maxStalledCount` allows. */
const STALLED = 'job stalled more than allowable limit';

/**
 * The error a worker's processor throws for `thrown`. `retryable: false` names it
 * `UnrecoverableError`, which BullMQ fails at once whatever `attempts` says.
 */
export function failureCarrier(thrown: unknown, retryable: boolean): Error {
  let data: SerializedError = serializeError(thrown);
  let text = encode(data);
  if (text.length > MAX_ENCODED_ERROR && typeof data === 'object' && data !== null) {
    const { name, message, stack, code, kind, tandem } = data as unknown as Record<string, unknown>;
    data = { name, message, stack, code, kind, tandem } as unknown as SerializedError;
    text = encode(data);
  }
  const head = describe(thrown);
  const carrier = new Error(`${head}${MARK}${text}`);
  const stack = readStack(thrown);
  if (stack !== undefined) carrier.stack = stack;
  if (!retryable) carrier.name = 'UnrecoverableError';
  return carrier;
}

/**
 * Rebuilds the error behind a job's `failedReason`. A stall past `maxStalledCount` (the
 * worker process died or lost its lock too often) arrives as `stalled` so that the caller can
 * map it to `WorkerCrashedError`; any other foreign reason as `RemoteFailureError`.
 */
export function readFailure(
  jobId: string,
  reason: unknown,
): { error: unknown } | { stalled: string } {
  const text = typeof reason === 'string' ? reason : String(reason);
  const at = text.lastIndexOf(MARK);
  if (at !== -1) {
    try {
      return { error: deserializeError(decode(text.slice(at + MARK.length)) as SerializedError) };
    } catch {
      // Fall through: a reason that merely contains the mark is foreign.
    }
  }
  if (text.includes(STALLED)) return { stalled: text };
  return { error: new RemoteFailureError(jobId, text) };
}

function describe(thrown: unknown): string {
  try {
    if (thrown instanceof Error) {
      const code = (thrown as { code?: unknown }).code;
      return `${thrown.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${thrown.message}`;
    }
    return `thrown: ${String(thrown)}`;
  } catch {
    return 'thrown: (unreadable)';
  }
}

function readStack(thrown: unknown): string | undefined {
  try {
    const stack = (thrown as { stack?: unknown } | null)?.stack;
    return typeof stack === 'string' ? stack : undefined;
  } catch {
    return undefined;
  }
}
