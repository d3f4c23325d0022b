/**
 * Option checks at the public boundary, with the option's name and the value received:
 * `Expected options.concurrency >= 1, got 0`.
 *
 * @module
 */

import { InvalidArgumentError, OutOfRangeError } from '@tandem/workers';

/** A number (possibly `Infinity` when `allowInfinity`) that is at least `min`. */
export function checkNumber(
  name: string,
  value: unknown,
  min: number,
  allowInfinity = false,
): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new InvalidArgumentError(`Expected ${name} to be a number, got ${describe(value)}`);
  }
  if (value < min || (!allowInfinity && !Number.isFinite(value))) {
    throw new OutOfRangeError(
      `Expected ${name} >= ${min}${allowInfinity ? '' : ' and finite'}, got ${value}`,
    );
  }
  return value;
}

/** An integer at least `min` (or `Infinity` when `allowInfinity`). */
export function checkInteger(
  name: string,
  value: unknown,
  min: number,
  allowInfinity = false,
): number {
  const n = checkNumber(name, value, min, allowInfinity);
  if (Number.isFinite(n) && !Number.isInteger(n)) {
    throw new OutOfRangeError(`Expected ${name} to be an integer, got ${n}`);
  }
  return n;
}

/** A function. */
export function checkFunction(name: string, value: unknown): void {
  if (typeof value !== 'function') {
    throw new InvalidArgumentError(`Expected ${name} to be a function, got ${describe(value)}`);
  }
}

/** An array of functions, each named `${name}[i]` in the error. */
export function checkFunctions(name: string, values: readonly unknown[]): void {
  for (const [i, value] of values.entries()) checkFunction(`${name}[${i}]`, value);
}

/** An `AbortSignal` or undefined. */
export function checkSignal(name: string, value: unknown): AbortSignal | undefined {
  if (value !== undefined && !(value instanceof AbortSignal)) {
    throw new InvalidArgumentError(`Expected ${name} to be an AbortSignal, got ${describe(value)}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `"${value}"`;
  return typeof value === 'object' || typeof value === 'function' ? typeof value : String(value);
}
