/**
 * The `name` most calls take, shown in `tasks()` and in paths: a string, or undefined for the
 * default. Anything else would turn into a path like `scope-3/[object Object]`.
 *
 * @module
 */

import { InvalidArgumentError } from '@tandem/workers';

/** `value` if it is a string or undefined. */
export function checkName(name: string, value: unknown): string | undefined {
  if (value !== undefined && typeof value !== 'string') {
    const got = value === null ? 'null' : typeof value;
    throw new InvalidArgumentError(`Expected ${name} to be a string, got ${got}`);
  }
  return value;
}
