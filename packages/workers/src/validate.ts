/**
 * Option checks at the public boundary of both packages, with the option's name and the value
 * received: `Expected options.concurrency >= 1, got 0`. Required values use `checkNumber` /
 * `checkInteger`; `checkDuration`, `checkOneOf` and `checkSignal` let `undefined` through.
 *
 * @module
 */
import { InvalidArgumentError, OutOfRangeError } from './errors.js';

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
  if (typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value)) {
    throw new InvalidArgumentError(`Expected ${name} to be an integer, got ${value}`);
  }
  return checkNumber(name, value, min, allowInfinity);
}

/** A finite number of milliseconds `>= 0` (or undefined, which passes). */
export function checkDuration(name: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new InvalidArgumentError(
      `Expected ${name} to be a number of milliseconds, got ${describe(value)}`,
    );
  }
  if (value < 0) throw new OutOfRangeError(`Expected ${name} >= 0, got ${value}`);
}

/** One of the allowed string values (or undefined, which passes). */
export function checkOneOf(name: string, value: unknown, allowed: readonly string[]): void {
  if (value === undefined || allowed.includes(value as string)) return;
  throw new InvalidArgumentError(
    `Expected ${name} to be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`,
  );
}

/** An `AbortSignal` (or undefined, which passes). */
export function checkSignal(name: string, value: unknown): AbortSignal | undefined {
  if (value !== undefined && !(value instanceof AbortSignal)) {
    throw new InvalidArgumentError(`Expected ${name} to be an AbortSignal, got ${describe(value)}`);
  }
  return value;
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

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') {
    // A Proxy's trap may throw on any read: the description must not.
    try {
      return value.constructor?.name ?? 'object';
    } catch {
      return 'object';
    }
  }
  return typeof value === 'function' ? 'function' : String(value);
}

/** `options.idempotencyKey`: undefined, or a string of 1 to 200 characters. */
export function checkIdempotencyKey(value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(
      `Expected options.idempotencyKey to be a string, got ${value === null ? 'null' : typeof value}`,
    );
  }
  if (value.length < 1 || value.length > 200) {
    throw new OutOfRangeError(
      `Expected options.idempotencyKey to have 1 to 200 characters, got ${value.length}`,
    );
  }
}
