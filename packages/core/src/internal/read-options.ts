/**
 * Reading a caller's options object once, at the boundary. The copy is what gets checked and
 * used, so a getter or a Proxy cannot show one value to the check and another to the code
 * behind it, and whatever reading it throws becomes a coded `InvalidArgumentError` (with
 * the thrown value as `cause`) instead of escaping raw or synchronously.
 *
 * @module
 */
import { InvalidArgumentError } from '@tandem/workers';

const empty = Object.freeze({});

/**
 * A plain copy of the own enumerable properties of `value` (`undefined` reads as `{}`).
 *
 * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`) when `value` is not an object
 * or reading it throws.
 */
export function readOptions<T extends object>(name: string, value: T | undefined): T {
  if (value === undefined) return empty as T;
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgumentError(
      `Expected ${name} to be an object, got ${value === null ? 'null' : typeof value}`,
    );
  }
  return readValue(name, () => ({ ...value }));
}

/** A copy of an array's items, or `value` itself when it is not an array (for the check to refuse). */
export function readArray(name: string, value: unknown): unknown {
  return readValue(name, () => (Array.isArray(value) ? [...value] : value));
}

/** Calls `read()` (which reads something of the caller's), turning a throw into a coded error. */
export function readValue<T>(name: string, read: () => T): T {
  try {
    return read();
  } catch (cause) {
    throw new InvalidArgumentError(`Could not read ${name}: reading it threw (see error.cause)`, {
      cause,
    });
  }
}
