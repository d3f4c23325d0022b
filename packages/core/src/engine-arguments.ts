/**
 * The checks on the arguments of the engine's methods that the pool and `scope()` do not
 * make themselves: they make a bad call a coded rejection, never a raw `TypeError` or a
 * synchronous throw.
 *
 * @module
 */
import { InvalidArgumentError } from '@tandem/workers';
import { checkSignal } from '@tandem/workers/internal';
import { readOptions, readValue } from './internal/read-options.js';
import type { ScopeOptions } from './scope.js';

/** A task name is a string (a Symbol would reach the pool's error messages and throw there). */
export function checkTaskName(name: unknown): void {
  if (typeof name !== 'string') {
    throw new InvalidArgumentError(`Expected the task name to be a string, got ${typeof name}`);
  }
}

/** Something `map` can iterate: an array, a Set, a generator, a string. */
export function checkIterable(inputs: unknown): void {
  const iterable =
    (typeof inputs === 'object' && inputs !== null) || typeof inputs === 'string'
      ? readValue('inputs', () => typeof (inputs as Iterable<unknown>)[Symbol.iterator])
      : undefined;
  if (iterable !== 'function') {
    throw new InvalidArgumentError(
      `Expected inputs to be iterable (an array, a Set, a generator…), got ${inputs === null ? 'null' : typeof inputs}`,
    );
  }
}

/** The arguments of `engine.scope`: `(body)` or `(options, body)`, checked. */
export function scopeArguments<T>(a: unknown, b: unknown): [ScopeOptions, T] {
  if (typeof a === 'function') {
    if (b !== undefined) {
      throw new InvalidArgumentError(
        'engine.scope takes (options, body) or (body); got (body, options). Put the options first.',
      );
    }
    return [{}, a as T];
  }
  const options = readOptions('options', a as ScopeOptions | undefined);
  if (typeof b !== 'function') {
    throw new InvalidArgumentError(
      `Expected the scope body to be a function, got ${b === null ? 'null' : typeof b}`,
    );
  }
  checkSignal('options.signal', options.signal);
  return [options, b as T];
}
