/**
 * Comlink carries a thrown error as `{ message, name, stack }` only. Both ends of a service
 * replace its "throw" handler with Tandem's codec, so `code`, `cause`, `errors`, own properties
 * and registered classes survive a service call as they survive a task.
 *
 * @module
 */
import { type TransferHandler, transferHandlers } from 'comlink';
import { deserializeError, type SerializedError, serializeError } from './codec.js';

let installed = false;

export function useTandemErrorsInComlink(): void {
  if (installed) return;
  installed = true;
  const original = transferHandlers.get('throw')!;
  const handler: TransferHandler<{ value: unknown }, SerializedError> = {
    canHandle: (value): value is { value: unknown } => original.canHandle(value),
    serialize: ({ value }) => [serializeError(value), []],
    deserialize: (serialized) => {
      throw deserializeError(serialized);
    },
  };
  transferHandlers.set('throw', handler);
}
