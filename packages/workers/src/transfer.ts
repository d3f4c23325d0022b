/**
 * One walk over a value that is about to cross threads: it finds what structured clone would
 * refuse (so the error names the path at submit time, before anything is sent) and, when asked,
 * the ArrayBuffers that can be moved instead of copied.
 *
 * The walk reads what structured clone reads (own enumerable properties, array items, Map and
 * Set entries, an error's `cause`) and refuses what it refuses: functions, symbols, Proxies
 * (revoked or not), generator objects, promises, weak collections, detached buffers, getters
 * that throw, and host objects that can only be transferred (a `MessagePort`, a stream). Plain
 * data never pays for more than the walk. A real `structuredClone` is tried only where the walk
 * cannot tell: on an instance of an unknown class with no own properties (where a host object
 * hides; cheap, there is nothing under it to copy) and on an error (small).
 *
 * Not seen: named properties added to an array (reading them would cost a string per index),
 * and a host object whose prototype was replaced by a plain one. Those still fail at send time.
 *
 * @module
 */
import { types } from 'node:util';
import { MessagePort } from 'node:worker_threads';

/** What structured clone would refuse, and where: `input.list[3].fn` is a `function`. */
export interface Problem {
  path: string;
  kind: string;
}

/** What the walk found. */
export interface Inspection {
  /** ArrayBuffers to put in the transfer list (empty unless `collect` was set). */
  transferList: ArrayBuffer[];
  /** The first thing structured clone would refuse, or undefined when the value is clean. */
  problem: Problem | undefined;
}

const clean: Inspection = Object.freeze({ transferList: [], problem: undefined }) as Inspection;

/**
 * Walks `value`; never throws.
 *
 * A buffer is moved only when the input gives it up whole: an `ArrayBuffer`, or a view that
 * covers its entire buffer. A view of part of a buffer (every small Node `Buffer` is a slice of
 * a shared 8 KiB pool) is copied: moving it would detach memory that other views still use,
 * and Node refuses to move the pool.
 */
export function inspectValue(value: unknown, collect: boolean, root = 'input'): Inspection {
  // Fast path: primitives are most inputs and results of small tasks.
  if (!isReference(value)) return clean;
  const walk = new Walk(collect);
  try {
    walk.visit(value);
  } catch (error) {
    // Only a stack overflow gets here (every read of user code is guarded): the value is
    // nested deeper than the walk can follow. Structured clone may still take it; if not,
    // the whole value is the problem.
    if (walk.problem === undefined && !cloneable(value)) {
      return {
        transferList: walk.transferList,
        problem: { path: root, kind: describeFailure(error) },
      };
    }
  }
  return walk.result(root);
}

type Segment = string | number | { get: unknown } | typeof keysSegment | typeof valuesSegment;
const keysSegment = Symbol('keys()');
const valuesSegment = Symbol('values()');

// Captured once: a Map or Set may carry its own `entries` / `Symbol.iterator` (user code that
// could throw or never end); structured clone reads the entries directly, and so do we.
const mapEntries = Map.prototype.entries;
const setValues = Set.prototype.values;
const isView = ArrayBuffer.isView;

class Walk {
  readonly transferList: ArrayBuffer[] = [];
  problem: { segments: Segment[]; kind: string } | undefined;
  readonly #collect: boolean;
  readonly #seen = new Set<object>();
  /** Where the walk is: property names, indices and Map / Set steps from the root. */
  readonly #path: Segment[] = [];

  constructor(collect: boolean) {
    this.#collect = collect;
  }

  result(root: string): Inspection {
    const problem = this.problem && {
      path: formatPath(root, this.problem.segments),
      kind: this.problem.kind,
    };
    return { transferList: this.transferList, problem };
  }

  visit(value: unknown): void {
    const type = typeof value;
    if (type === 'function' || type === 'symbol') {
      this.#fail(type);
      return;
    }
    const object = value as object;
    // Before anything touches it: a Proxy's traps are user code (or throw, once revoked), and
    // structured clone refuses every Proxy.
    if (types.isProxy(object)) {
      this.#fail('Proxy');
      return;
    }
    if (this.#seen.has(object)) return;
    this.#seen.add(object);
    // Most frequent first: plain objects and arrays cost one or two checks.
    const prototype = Object.getPrototypeOf(object);
    if (prototype === Object.prototype) this.#visitProperties(object);
    else if (Array.isArray(object)) this.#visitArray(object);
    else if (types.isAnyArrayBuffer(object)) this.#visitBuffer(object as ArrayBuffer);
    else if (isView(object)) this.#visitView(object);
    else if (types.isMap(object)) this.#visitMap(object as Map<unknown, unknown>);
    else if (types.isSet(object)) this.#visitSet(object as Set<unknown>);
    else if (types.isNativeError(object)) this.#visitError(object as Error);
    else this.#visitOther(object, prototype);
  }

  #fail(kind: string): void {
    this.problem = { segments: [...this.#path], kind };
  }

  /** Visits `value` one step further down the path (primitives cost only the check). */
  #child(segment: Segment, value: unknown): void {
    if (!isReference(value)) return;
    this.#path.push(segment);
    this.visit(value);
    this.#path.pop();
  }

  #visitProperties(object: object): void {
    for (const key of Object.keys(object)) {
      let value: unknown;
      try {
        value = (object as Record<string, unknown>)[key];
      } catch {
        this.#path.push(key);
        this.#fail('getter that throws');
        return;
      }
      this.#child(key, value);
      if (this.problem !== undefined) return;
    }
  }

  #visitArray(array: unknown[]): void {
    for (let i = 0; i < array.length; i++) {
      let item: unknown;
      try {
        item = array[i];
      } catch {
        this.#path.push(i);
        this.#fail('getter that throws');
        return;
      }
      this.#child(i, item);
      if (this.problem !== undefined) return;
    }
  }

  #visitMap(map: Map<unknown, unknown>): void {
    for (const [key, value] of mapEntries.call(map)) {
      this.#child(keysSegment, key);
      if (this.problem !== undefined) return;
      this.#child({ get: key }, value);
      if (this.problem !== undefined) return;
    }
  }

  #visitSet(set: Set<unknown>): void {
    for (const value of setValues.call(set)) {
      this.#child(valuesSegment, value);
      if (this.problem !== undefined) return;
    }
  }

  #visitBuffer(buffer: ArrayBuffer): void {
    if (types.isSharedArrayBuffer(buffer)) return;
    if (isDetached(buffer)) this.#fail('detached ArrayBuffer');
    else if (this.#collect) this.transferList.push(buffer);
  }

  #visitView(view: ArrayBufferView): void {
    const { buffer, byteOffset, byteLength } = intrinsicView(view);
    if (types.isSharedArrayBuffer(buffer)) return;
    if (isDetached(buffer)) {
      this.#fail('detached ArrayBuffer');
      return;
    }
    const whole = byteOffset === 0 && byteLength === buffer.byteLength;
    if (this.#collect && whole && !this.#seen.has(buffer)) {
      this.#seen.add(buffer);
      this.transferList.push(buffer as ArrayBuffer);
    }
  }

  // Structured clone copies an error's name, message, stack and cause, reading them through
  // their getters: a throwing getter or an uncloneable cause fails the whole value.
  #visitError(error: Error): void {
    if (cloneable(error)) return;
    const cause = Object.getOwnPropertyDescriptor(error, 'cause');
    if (cause !== undefined && 'value' in cause) this.#child('cause', cause.value);
    if (this.problem === undefined) this.#fail('Error whose fields cannot be copied');
  }

  // Anything else: a built-in that structured clone copies whole or refuses, or an instance of
  // some class. Structured clone copies an instance's own enumerable properties, unless it is a
  // host object (a MessagePort, a stream) that only transfer can move. Those have no own
  // properties, so a trial clone is cheap exactly where it is needed.
  #visitOther(object: object, prototype: object | null): void {
    if (types.isDate(object) || types.isRegExp(object)) return;
    const refused = refusedKind(object);
    if (refused !== undefined) this.#fail(refused);
    else if (types.isBoxedPrimitive(object)) return;
    else if (prototype === null || Object.keys(object).length > 0) this.#visitProperties(object);
    else if (!cloneable(object)) this.#fail(className(object));
  }
}

function isReference(value: unknown): boolean {
  const type = typeof value;
  return (type === 'object' && value !== null) || type === 'function' || type === 'symbol';
}

// Host and built-in objects that structured clone refuses, found without a trial clone.
function refusedKind(object: object): string | undefined {
  if (types.isGeneratorObject(object)) return 'generator object';
  if (types.isSymbolObject(object)) return 'Symbol object';
  // It has no prototype; reading it can throw (a binding not yet initialized).
  if (types.isModuleNamespaceObject(object)) return 'module namespace object';
  if (types.isPromise(object)) return 'Promise';
  if (types.isWeakMap(object)) return 'WeakMap';
  if (types.isWeakSet(object)) return 'WeakSet';
  if (instanceOf(object, MessagePort)) return 'MessagePort';
  if (instanceOf(object, WeakRef)) return 'WeakRef';
  if (instanceOf(object, FinalizationRegistry)) return 'FinalizationRegistry';
  return undefined;
}

// `instanceof` walks the prototype chain, where a Proxy's getPrototypeOf trap may throw.
function instanceOf(object: object, Class: abstract new (...args: any[]) => object): boolean {
  try {
    return object instanceof Class;
  } catch {
    return false;
  }
}

// A typed array's `buffer`, `byteOffset` and `byteLength` read through the built-in getters,
// not through whatever the instance may have defined over them.
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const viewGetters = {
  typed: getters(typedArrayPrototype),
  dataView: getters(DataView.prototype),
};

function getters(prototype: object) {
  const get = (key: string) => Object.getOwnPropertyDescriptor(prototype, key)!.get!;
  return { buffer: get('buffer'), byteOffset: get('byteOffset'), byteLength: get('byteLength') };
}

function intrinsicView(view: ArrayBufferView): {
  buffer: ArrayBufferLike;
  byteOffset: number;
  byteLength: number;
} {
  const own = types.isDataView(view) ? viewGetters.dataView : viewGetters.typed;
  return {
    buffer: own.buffer.call(view) as ArrayBufferLike,
    byteOffset: own.byteOffset.call(view) as number,
    byteLength: own.byteLength.call(view) as number,
  };
}

// A detached buffer has length 0; so has a fresh empty one, which a view can still be made on.
function isDetached(buffer: ArrayBufferLike): boolean {
  if (buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

function cloneable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

function className(object: object): string {
  try {
    const maker = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(object), 'constructor')
      ?.value as unknown;
    const name =
      typeof maker === 'function'
        ? Object.getOwnPropertyDescriptor(maker, 'name')?.value
        : undefined;
    return typeof name === 'string' && name !== '' ? name : 'host object';
  } catch {
    return 'host object';
  }
}

function describeFailure(error: unknown): string {
  return error instanceof RangeError
    ? 'value nested too deeply to be copied'
    : 'value structured clone refuses';
}

const identifier = /^[A-Za-z_$][\w$]*$/;

function formatPath(root: string, segments: readonly Segment[]): string {
  let path = root;
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (typeof segment === 'string') {
      path += identifier.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`;
    } else if (segment === keysSegment) path += '.keys()';
    else if (segment === valuesSegment) path += '.values()';
    else path += `.get(${describeKey(segment.get)})`;
  }
  return path;
}

function describeKey(key: unknown): string {
  if (typeof key === 'string') return JSON.stringify(key);
  if (typeof key === 'number' || typeof key === 'boolean' || typeof key === 'bigint') {
    return String(key);
  }
  return key === null || key === undefined ? String(key) : '…';
}
