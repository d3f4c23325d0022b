/**
 * Checks of the options argument itself and of the one field most calls share (`name`), done
 * before anything else is read: `null`, a number or a string where an options object belongs
 * is a mistake to report with a code, not a TypeError to leak.
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

/** A name shown in `tasks()` and paths: a string, or undefined for the default. */
export function checkName(name: string, value: unknown): string | undefined {
  if (value !== undefined && typeof value !== 'string') {
    throw new InvalidArgumentError(`Expected ${name} to be a string, got ${describe(value)}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  return typeof value === 'object' ? 'an object' : String(value);
}
