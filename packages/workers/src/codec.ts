/**
 * Errors across threads. Structured clone turns a custom error into a bare `Error` and drops
 * `code`, so the worker serializes every thrown value with {@link serializeError} and the loop
 * rebuilds it with {@link deserializeError}: `name`, `message`, `stack`, `code`, `cause`,
 * `errors` and own enumerable properties survive; registered classes come back as real
 * instances, the rest as {@link RemoteTaskError} with the original name.
 *
 * @module
 */
import * as errors from './errors.js';
import { RemoteTaskError } from './errors.js';

/** A thrown value as it travels between threads. */
export type SerializedError =
  | {
      kind: 'error';
      name: string;
      message: string;
      stack: string | undefined;
      code: unknown;
      cause?: SerializedError;
      errors?: SerializedError[];
      props: Record<string, unknown>;
    }
  | { kind: 'value'; value: unknown };

type ErrorClass = abstract new (...args: any[]) => Error;

const byCode = new Map<string, ErrorClass>();

// Built-in classes and Tandem's own are rebuilt by name; user classes by code (registerError).
const byName = new Map<string, ErrorClass>([
  ['Error', Error],
  ['TypeError', TypeError],
  ['RangeError', RangeError],
  ['SyntaxError', SyntaxError],
  ['ReferenceError', ReferenceError],
  ['EvalError', EvalError],
  ['URIError', URIError],
  ['AggregateError', AggregateError],
]);
for (const [name, value] of Object.entries(errors)) {
  if (typeof value === 'function' && value.prototype instanceof errors.TandemError) {
    byName.set(name, value as ErrorClass);
  }
}

/**
 * Registers an error class so that errors with this `code` thrown in a worker arrive as
 * instances of it (`instanceof` works). Register it on the loop side (workers only send).
 * The constructor is not called: the instance is made from its prototype and given the
 * remote fields.
 *
 * @example
 * class QuotaError extends Error { code = 'E_QUOTA' }
 * registerError('E_QUOTA', QuotaError);
 */
export function registerError(code: string, ErrorClass: ErrorClass): void {
  byCode.set(code, ErrorClass);
}

const skippedKeys = new Set(['name', 'message', 'stack', 'code', 'cause', 'errors']);

/** Turns any thrown value into plain data that structured clone carries intact. */
export function serializeError(thrown: unknown, seen = new Set<unknown>()): SerializedError {
  if (!(thrown instanceof Error) || seen.has(thrown)) {
    return { kind: 'value', value: cloneable(thrown) ? thrown : String(thrown) };
  }
  seen.add(thrown);
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(thrown)) {
    const value = (thrown as unknown as Record<string, unknown>)[key];
    if (!skippedKeys.has(key) && cloneable(value)) props[key] = value;
  }
  const out: SerializedError = {
    kind: 'error',
    name: thrown.name,
    message: thrown.message,
    stack: thrown.stack,
    code: cloneable((thrown as { code?: unknown }).code)
      ? (thrown as { code?: unknown }).code
      : undefined,
    props,
  };
  if ('cause' in thrown) out.cause = serializeError(thrown.cause, seen);
  if (thrown instanceof AggregateError)
    out.errors = thrown.errors.map((e) => serializeError(e, seen));
  return out;
}

/** Rebuilds what {@link serializeError} produced, on the receiving thread. */
export function deserializeError(data: SerializedError): unknown {
  if (data.kind === 'value') return data.value;
  const ErrorClass =
    (typeof data.code === 'string' ? byCode.get(data.code) : undefined) ?? byName.get(data.name);
  const error: Error = ErrorClass
    ? (Object.create(ErrorClass.prototype) as Error)
    : new RemoteTaskError(data.name, data.message);
  define(error, 'name', data.name);
  define(error, 'message', data.message);
  define(error, 'stack', data.stack);
  if (data.code !== undefined) define(error, 'code', data.code);
  if (data.cause !== undefined) define(error, 'cause', deserializeError(data.cause));
  if (data.errors !== undefined) define(error, 'errors', data.errors.map(deserializeError));
  Object.assign(error, data.props);
  return error;
}

// Own, non-enumerable, writable: the way the engine itself defines these on errors.
function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    configurable: true,
    writable: true,
    enumerable: false,
  });
}

/** Cheap check for values structured clone takes (functions and symbols are the usual culprits). */
function cloneable(value: unknown): boolean {
  const type = typeof value;
  if (type === 'function' || type === 'symbol') return false;
  if (type !== 'object' || value === null) return true;
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}
