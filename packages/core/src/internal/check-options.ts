/**
 * The options argument itself, checked before any of its fields is read: `null`, a number or
 * a string where an options object belongs is a mistake to report, not a TypeError to leak.
 *
 * @module
 */

import { InvalidArgumentError } from '@tandem/workers';

/** `value` as an options object; `undefined` gives `{}`. */
export function checkOptions<T extends object>(name: string, value: T | undefined): T {
  if (value === undefined) return {} as T;
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgumentError(`Expected ${name} to be an object, got ${describe(value)}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  return typeof value === 'function' ? 'a function' : String(value);
}
