/**
 * Boundary checks with messages that name the option and the value received:
 * `Expected options.threads >= 1, got 0`.
 *
 * @module
 */
import { InvalidArgumentError, OutOfRangeError } from './errors.js';

/** An integer `>= min` (or undefined, which passes). */
export function checkInteger(name: string, value: unknown, min: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new InvalidArgumentError(`Expected ${name} to be an integer, got ${describe(value)}`);
  }
  if (value < min) throw new OutOfRangeError(`Expected ${name} >= ${min}, got ${value}`);
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
export function checkSignal(name: string, value: unknown): void {
  if (value === undefined || value instanceof AbortSignal) return;
  throw new InvalidArgumentError(`Expected ${name} to be an AbortSignal, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return value.constructor?.name ?? 'object';
  return String(value);
}
