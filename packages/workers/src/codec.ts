/**
 * Errors across threads. Structured clone turns a custom error into a bare `Error` and drops
 * `code`, so the worker serializes every thrown value with {@link serializeError} and the loop
 * rebuilds it with {@link deserializeError}: `name`, `message`, `stack`, `code`, `cause`,
 * `errors` and own enumerable properties survive; registered classes come back as real
 * instances, the rest as {@link RemoteTaskError} with the original name.
 *
 * Both directions take hostile values (throwing getters, Proxies, frozen prototypes, forged
 * data) and never throw: what can be read is kept, what cannot is skipped. Nesting through
 * `cause` and `errors` is kept to 64 levels and `errors` to 10 000 entries; what lies deeper or
 * further is cut (a chain that long is a bug, not information).
 *
 * @module
 */
import { types } from 'node:util';
import * as errors from './errors.js';
import { InvalidArgumentError, RemoteTaskError, TandemError } from './errors.js';

/** A thrown value as it travels between threads. */
export type SerializedError =
  | {
      kind: 'error';
      name: string;
      message: string;
      stack: string | undefined;
      code: unknown;
      /**
       * Set when the thrown value was one of Tandem's own errors (it carries the brand that
       * `TandemError.isTandemError` checks): only then is it rebuilt as that class.
       */
      tandem?: true;
      cause?: SerializedError;
      errors?: SerializedError[];
      props: Record<string, unknown>;
    }
  | { kind: 'value'; value: unknown };

type ErrorClass = abstract new (...args: any[]) => Error;

/** Levels of `cause` / `errors` kept; a deeper chain is cut there. */
const MAX_NESTING = 64;
/** Entries of an `errors` array kept. */
const MAX_ERRORS = 10_000;

const byCode = new Map<string, ErrorClass>();

// Built-in classes are rebuilt by name. Tandem's own only when the worker said the error was
// one (the `tandem` flag): a task's own error merely named `PoolDestroyedError` must not pose
// as the engine. User classes by code (registerError).
const builtins = new Map<string, ErrorClass>([
  ['Error', Error],
  ['TypeError', TypeError],
  ['RangeError', RangeError],
  ['SyntaxError', SyntaxError],
  ['ReferenceError', ReferenceError],
  ['EvalError', EvalError],
  ['URIError', URIError],
  ['AggregateError', AggregateError],
]);
const tandemClasses = new Map<string, ErrorClass>();
for (const [name, value] of Object.entries(errors)) {
  if (typeof value === 'function' && value.prototype instanceof TandemError) {
    tandemClasses.set(name, value as ErrorClass);
  }
}

/**
 * Registers an error class so that errors with this `code` thrown in a worker arrive as
 * instances of it (`instanceof` works). Register it on the loop side (workers only send).
 * The constructor is not called: the instance is made from its prototype and given the
 * remote fields as own properties.
 *
 * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`) when `code` is not a string or
 * `ErrorClass` not a function.
 * @example
 * class QuotaError extends Error { code = 'E_QUOTA' }
 * registerError('E_QUOTA', QuotaError);
 */
export function registerError(code: string, ErrorClass: ErrorClass): void {
  if (typeof code !== 'string') {
    throw new InvalidArgumentError(`Expected code to be a string, got ${typeof code}`);
  }
  if (typeof ErrorClass !== 'function') {
    throw new InvalidArgumentError(
      `Expected ErrorClass to be a class (a function), got ${typeof ErrorClass}`,
    );
  }
  byCode.set(code, ErrorClass);
}

const fieldKeys = new Set(['name', 'message', 'stack', 'code', 'cause']);

/**
 * Turns any thrown value into plain data that structured clone carries intact. Never throws:
 * a getter that throws, a Proxy, a revoked Proxy or a value that cannot be cloned loses only
 * what could not be read (an uncloneable non-error value is sent as a string).
 */
export function serializeError(thrown: unknown): SerializedError {
  return serialize(thrown, new Set(), 0);
}

function serialize(thrown: unknown, seen: Set<unknown>, depth: number): SerializedError {
  if (!isError(thrown) || seen.has(thrown) || depth > MAX_NESTING) {
    return { kind: 'value', value: cloneable(thrown) ? thrown : safeString(thrown) };
  }
  seen.add(thrown);
  const name = read(thrown, 'name');
  const message = read(thrown, 'message');
  const stack = read(thrown, 'stack');
  const code = read(thrown, 'code');
  const out: SerializedError = {
    kind: 'error',
    name: typeof name === 'string' ? name : 'Error',
    message:
      typeof message === 'string' ? message : message === undefined ? '' : safeString(message),
    stack: typeof stack === 'string' ? stack : undefined,
    code: cloneable(code) ? code : undefined,
    props: {},
  };
  // The brand, not `instanceof`: a worker that loads its task module through a loader (tsx)
  // can hold a second copy of this package, whose errors are just as much Tandem's own.
  if (attempt(() => TandemError.isTandemError(thrown))) out.tandem = true;
  if (attempt(() => 'cause' in thrown)) {
    const cause = tryRead(thrown, 'cause');
    if (cause.ok) out.cause = serialize(cause.value, seen, depth + 1);
  }
  // `errors` is kept when it is an array, on an AggregateError or not; otherwise it is an
  // ordinary property (kept below if own, enumerable and cloneable).
  const list = read(thrown, 'errors');
  const isList = attempt(() => Array.isArray(list));
  if (isList) out.errors = serializeList(list as unknown[], seen, depth + 1);
  for (const key of attempt(() => Object.keys(thrown)) ?? []) {
    if (fieldKeys.has(key) || (isList && key === 'errors')) continue;
    const value = tryRead(thrown, key);
    if (value.ok && cloneable(value.value)) out.props[key] = value.value;
  }
  return out;
}

function serializeList(list: unknown[], seen: Set<unknown>, depth: number): SerializedError[] {
  const length = Math.min(attempt(() => list.length) ?? 0, MAX_ERRORS);
  const out: SerializedError[] = [];
  for (let i = 0; i < length; i++) {
    const item = tryRead(list, i);
    out.push(serialize(item.ok ? item.value : undefined, seen, depth));
  }
  return out;
}

/**
 * Rebuilds what {@link serializeError} produced, on the receiving thread. Never throws, even
 * on malformed data (which is handed back as it came): a property that the registered class
 * defines as a getter, a non-writable or a throwing setter becomes an own property of the
 * instance, as it was on the remote error; the prototype is never replaced.
 */
export function deserializeError(data: SerializedError): unknown {
  return rebuild(data, 0);
}

function rebuild(data: unknown, depth: number): unknown {
  if (typeof data !== 'object' || data === null) return data;
  const fields = data as Partial<Record<string, unknown>>;
  if (fields.kind === 'value') return fields.value;
  if (fields.kind !== 'error') return data;
  const name = typeof fields.name === 'string' ? fields.name : 'Error';
  const message = typeof fields.message === 'string' ? fields.message : '';
  const error = instantiate(name, fields.code, fields.tandem === true, message);
  define(error, 'name', name, false);
  define(error, 'message', message, false);
  define(error, 'stack', typeof fields.stack === 'string' ? fields.stack : undefined, false);
  if (fields.code !== undefined) define(error, 'code', fields.code, false);
  if (depth < MAX_NESTING) {
    if (fields.cause !== undefined) define(error, 'cause', rebuild(fields.cause, depth + 1), false);
    if (Array.isArray(fields.errors)) {
      const list = fields.errors.slice(0, MAX_ERRORS).map((item) => rebuild(item, depth + 1));
      define(error, 'errors', list, false);
    }
  }
  const props = fields.props;
  if (typeof props === 'object' && props !== null) {
    for (const key of Object.keys(props)) {
      define(error, key, (props as Record<string, unknown>)[key], true);
    }
  }
  return error;
}

function instantiate(name: string, code: unknown, tandem: boolean, message: string): Error {
  const ErrorClass =
    (tandem ? tandemClasses.get(name) : undefined) ??
    (typeof code === 'string' ? byCode.get(code) : undefined) ??
    builtins.get(name);
  // A registered "class" may be anything callable; its prototype is read once, defensively.
  const prototype = ErrorClass === undefined ? undefined : attempt(() => ErrorClass.prototype);
  if (typeof prototype === 'object' && prototype !== null) {
    return Object.create(prototype) as Error;
  }
  return new RemoteTaskError(name, message);
}

// An own property of a fresh, extensible object: defining it cannot run a setter of the
// prototype, trip over a non-writable one, or replace the prototype (a key `__proto__`).
function define(target: object, key: string, value: unknown, enumerable: boolean): void {
  Object.defineProperty(target, key, { value, configurable: true, writable: true, enumerable });
}

function isError(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  return types.isNativeError(value) || attempt(() => value instanceof Error) === true;
}

/** `target[key]`, or undefined when reading it throws. */
function read(target: object, key: string): unknown {
  return tryRead(target, key).value;
}

/** `target[key]` with whether it could be read (a getter or a Proxy trap may throw). */
function tryRead(target: object, key: string | number): { ok: boolean; value: unknown } {
  try {
    return { ok: true, value: (target as Record<string | number, unknown>)[key] };
  } catch {
    return { ok: false, value: undefined };
  }
}

/** `fn()`, or undefined when it throws. */
function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/** A string for a value that cannot be sent as it is; never throws. */
function safeString(value: unknown): string {
  return (
    attempt(() => String(value)) ??
    attempt(() => Object.prototype.toString.call(value)) ??
    '[a value that cannot be read]'
  );
}

/** Whether structured clone takes the value (functions and symbols are the usual culprits). */
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
