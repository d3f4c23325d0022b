/**
 * How failures cross comlink. comlink carries a thrown error as `{ message, name, stack }`
 * only; both ends of a service use Tandem's codec instead, so `code`, `cause`, `errors`, own
 * properties and registered classes survive a service call as they survive a task.
 *
 * comlink's handlers are process-wide (one table per thread, shared with any other comlink
 * user in it), so the "throw" handler is installed once per thread and stays compatible: what
 * it sends is still comlink's own shape (plus Tandem's data), and what it receives without
 * Tandem's data goes to comlink's original handler.
 *
 * @module
 */
import { type TransferHandler, transferHandlers } from 'comlink';
import { deserializeError, type SerializedError, serializeError } from './codec.js';

interface Thrown {
  value: unknown;
}

/** comlink's wire shape for a thrown value, with Tandem's serialized error beside it. */
interface Encoded {
  isError: boolean;
  value: unknown;
  tandem?: SerializedError;
}

let installed = false;

/** Makes comlink carry thrown values through Tandem's codec on this thread. Idempotent. */
export function useTandemErrorsInComlink(): void {
  if (installed) return;
  installed = true;
  const original = transferHandlers.get('throw') as TransferHandler<Thrown, Encoded>;
  const handler: TransferHandler<Thrown, Encoded> = {
    canHandle: (value): value is Thrown => safely(() => original.canHandle(value)),
    serialize: ({ value }) => [encode(serializeError(value)), []],
    deserialize: (encoded) => {
      if (typeof encoded === 'object' && encoded !== null && encoded.tandem !== undefined) {
        throw deserializeError(encoded.tandem);
      }
      return original.deserialize(encoded);
    },
  };
  transferHandlers.set('throw', handler);
}

/**
 * In a service's worker (a thread Tandem owns), makes comlink's other checks safe too: its
 * "proxy" handler reads a marker on every returned value, which throws on a revoked Proxy or a
 * Proxy whose trap throws, and comlink then answers with an uncoded "Unserializable return
 * value". Treated as "not a comlink proxy", the value goes to `postMessage`, which refuses it,
 * and the endpoint answers with `UncloneableResultError` (see `comlink-endpoint.ts`).
 */
export function guardComlinkChecks(): void {
  const original = transferHandlers.get('proxy')!;
  transferHandlers.set('proxy', {
    canHandle: (value): value is unknown => safely(() => original.canHandle(value)),
    serialize: (value) => original.serialize(value),
    deserialize: (value) => original.deserialize(value),
  });
}

function encode(error: SerializedError): Encoded {
  const comlinkShape =
    error.kind === 'error'
      ? { isError: true, value: { message: error.message, name: error.name, stack: error.stack } }
      : { isError: false, value: error.value };
  return { ...comlinkShape, tandem: error };
}

function safely(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}
