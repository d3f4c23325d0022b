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

/**
 * What `v8.serialize` refused, named as a local pool names it (`function`, `symbol`, `Promise`),
 * from its error's words; a getter that threw while it was read is named as such.
 */
export function describeCloneFailure(error: unknown): string {
  let message: string;
  try {
    const text = (error as Error | null)?.message;
    message = typeof text === 'string' ? text : '';
  } catch {
    message = '';
  }
  const refused = /^(.*) could not be cloned\.?$/s.exec(message)?.[1];
  if (refused === undefined) return 'value whose reading threw (a getter or Proxy trap)';
  const host = /^#<(\w+)>$/.exec(refused)?.[1];
  if (host !== undefined) return host === 'Object' ? 'Proxy or host object' : host;
  if (refused.startsWith('Symbol(')) return 'symbol';
  return 'function';
}
