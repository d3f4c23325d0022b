/**
 * What structured clone refuses and how to tell without trying it, for the walk in
 * `transfer.ts`: host and built-in objects it refuses, a view's intrinsic buffer, detached
 * buffers, a trial clone where nothing cheaper can tell, and the path of a problem as text.
 *
 * @module
 */
import { types } from 'node:util';
import { MessagePort } from 'node:worker_threads';

// Host and built-in objects that structured clone refuses, found without a trial clone.
export function refusedKind(object: object): string | undefined {
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

export function intrinsicView(view: ArrayBufferView): {
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
export function isDetached(buffer: ArrayBufferLike): boolean {
  if (buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

export function cloneable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

export function className(object: object): string {
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

export function describeFailure(error: unknown): string {
  return error instanceof RangeError
    ? 'value nested too deeply to be copied'
    : 'value structured clone refuses';
}

/** One step from the root: a property name, an index, a Map key or value, a Set value. */
export type Segment =
  | string
  | number
  | { get: unknown }
  | typeof keysSegment
  | typeof valuesSegment;
export const keysSegment = Symbol('keys()');
export const valuesSegment = Symbol('values()');

const identifier = /^[A-Za-z_$][\w$]*$/;

/** `input.list[3].fn`: the segments in order from the root. */
export function formatPath(root: string, segments: readonly Segment[]): string {
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
