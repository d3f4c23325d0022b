/**
 * The options of one run, read once and checked as a local pool checks them.
 *
 * @module
 */
import { InvalidArgumentError, type RunOptions } from '@tandem/workers';
import {
  checkDuration,
  checkFunction,
  checkIdempotencyKey,
  checkSignal,
} from '@tandem/workers/internal';

/** What a run uses of its options (`transfer` is checked, then ignored). */
export interface ReadRunOptions {
  signal?: AbortSignal | undefined;
  timeout?: number | undefined;
  deadline?: number | undefined;
  onProgress?: ((value: unknown) => void) | undefined;
  idempotencyKey?: string | undefined;
}

/** Reads each run option once (a getter or Proxy trap that throws becomes a coded error). */
export function readRunOptions(options: unknown): ReadRunOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(
      `Expected options to be an object, got ${options === null ? 'null' : typeof options}`,
    );
  }
  let read: RunOptions;
  try {
    read = { ...(options as RunOptions) };
  } catch (cause) {
    throw new InvalidArgumentError('Could not read options: reading them threw (see error.cause)', {
      cause,
    });
  }
  const { signal, timeout, deadline, transfer, onProgress, idempotencyKey } = read;
  checkSignal('options.signal', signal);
  checkIdempotencyKey(idempotencyKey);
  checkDuration('options.timeout', timeout);
  checkDuration('options.deadline', deadline);
  if (onProgress !== undefined) checkFunction('options.onProgress', onProgress);
  if (transfer !== undefined && typeof transfer !== 'boolean') {
    throw new InvalidArgumentError(
      `Expected options.transfer to be a boolean, got ${typeof transfer}`,
    );
  }
  return { signal, timeout, deadline, onProgress, idempotencyKey };
}

/** What `v8.serialize` refused, in the words of its error. */
export function describeCloneFailure(error: unknown): string {
  try {
    const message = (error as Error).message;
    return typeof message === 'string' ? message.replace(/ could not be cloned\.?$/, '') : 'value';
  } catch {
    return 'value';
  }
}
