/**
 * One walk over a value that is about to cross threads: it finds what structured clone would
 * refuse (so the error names the path at submit time, before anything is sent) and, when asked,
 * the ArrayBuffers that can be moved instead of copied.
 *
 * @module
 */
import { types } from 'node:util';

/** What the walk found. */
export interface Inspection {
  /** ArrayBuffers to put in the transfer list (empty unless `collect` was set). */
  transferList: ArrayBuffer[];
  /** The first thing structured clone would refuse, or undefined when the value is clean. */
  problem: { path: string; kind: string } | undefined;
}

const clean: Inspection = Object.freeze({ transferList: [], problem: undefined }) as Inspection;

/**
 * Walks `value` (own enumerable properties, array items, Map and Set entries).
 *
 * A buffer is moved only when the input gives it up whole: an `ArrayBuffer`, or a view that
 * covers its entire buffer. A view of part of a buffer (every small Node `Buffer` is a slice of
 * a shared 8 KiB pool) is copied: moving it would detach memory that other views still use,
 * and Node refuses to move the pool.
 */
export function inspectValue(value: unknown, collect: boolean, root = 'input'): Inspection {
  // Fast path: primitives are most inputs and results of small tasks.
  const type = typeof value;
  if (type !== 'object' && type !== 'function' && type !== 'symbol') return clean;
  if (value === null) return clean;
  const found: Inspection = { transferList: [], problem: undefined };
  walk(value, root, collect, found, new Set());
  return found;
}

function walk(
  value: unknown,
  path: string,
  collect: boolean,
  found: Inspection,
  seen: Set<object>,
): void {
  if (found.problem !== undefined) return;
  const type = typeof value;
  if (type === 'function' || type === 'symbol') {
    found.problem = { path, kind: type };
    return;
  }
  if (type !== 'object' || value === null) return;
  const object = value as object;
  if (seen.has(object)) return;
  seen.add(object);

  if (types.isAnyArrayBuffer(object)) {
    if (collect && !types.isSharedArrayBuffer(object)) addOnce(found, object as ArrayBuffer);
    return;
  }
  if (ArrayBuffer.isView(object)) {
    const { buffer, byteOffset, byteLength } = object;
    const whole = byteOffset === 0 && byteLength === buffer.byteLength;
    if (collect && whole && !types.isSharedArrayBuffer(buffer)) {
      addOnce(found, buffer as ArrayBuffer);
    }
    return;
  }
  const refused = refusedKind(object);
  if (refused !== undefined) {
    found.problem = { path, kind: refused };
    return;
  }
  if (object instanceof Map) {
    for (const [key, entry] of object) {
      walk(key, `${path}.keys()`, collect, found, seen);
      walk(entry, `${path}.get(${String(key)})`, collect, found, seen);
    }
  } else if (object instanceof Set) {
    for (const entry of object) walk(entry, `${path}.values()`, collect, found, seen);
  } else if (Array.isArray(object)) {
    for (let i = 0; i < object.length; i++) walk(object[i], `${path}[${i}]`, collect, found, seen);
  } else if (!(object instanceof Date || object instanceof RegExp || object instanceof Error)) {
    for (const key of Object.keys(object)) {
      walk((object as Record<string, unknown>)[key], `${path}.${key}`, collect, found, seen);
    }
  }
}

function addOnce(found: Inspection, buffer: ArrayBuffer): void {
  if (!found.transferList.includes(buffer)) found.transferList.push(buffer);
}

// Host objects that structured clone refuses even though they are plain-looking objects.
function refusedKind(object: object): string | undefined {
  if (types.isPromise(object)) return 'Promise';
  if (types.isWeakMap(object)) return 'WeakMap';
  if (types.isWeakSet(object)) return 'WeakSet';
  if (object instanceof WeakRef) return 'WeakRef';
  return undefined;
}
