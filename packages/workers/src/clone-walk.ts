/**
 * The walk behind `inspectValue` (`transfer.ts`): one visit of a value in the order structured
 * clone reads it, stopping at the first thing it would refuse. Made to cost little beside the
 * copy it guards, on inputs of any size:
 * - the path of a problem is built only once one is found, a step per level as the walk
 *   unwinds (`segments`, leaf first);
 * - a buffer or a typed array costs one check, whatever its length; an array of numbers one
 *   `typeof` per item, in a loop of its own;
 * - plain objects are read with for…in (no array of keys per row of a table);
 * - objects are remembered (for cycles and shared subtrees) only past a depth or an amount of
 *   work: a Set of every row of a big table cost more than the rest of the walk. A cycle ends
 *   at the depth limit, a subtree shared many times at the work limit; past either, an object
 *   already seen is skipped. The path of a problem comes from a walk that remembers every
 *   object (see `locate` in `transfer.ts`), so it never goes round a cycle;
 * - an array longer than `SPARSE_LENGTH` is walked by its keys (a sparse array of length
 *   2^32 - 1 costs its few items, not four billion reads).
 *
 * @module
 */
import { types } from 'node:util';
import {
  className,
  cloneable,
  intrinsicView,
  isDetached,
  keysSegment,
  refusedKind,
  type Segment,
  valuesSegment,
} from './clone-rules.js';

/** Objects deeper than this are remembered: a cycle is cut after at most this many laps. */
const TRACK_DEPTH = 32;
/** Work (an item or a property is 1, an object 8) after which every object is remembered. */
const UNTRACKED_WORK = 2 ** 24;
const OBJECT_WORK = 8;
/** Arrays longer than this are walked by their keys. */
const SPARSE_LENGTH = 2 ** 25;

/** Thrown through the walk once its budget is spent (see `Walk`'s constructor). */
export const budgetSpent: unique symbol = Symbol('walk budget spent');

// Captured once: a Map or Set may carry its own `entries` / `Symbol.iterator` (user code that
// could throw or never end); structured clone reads the entries directly, and so do we.
const mapEntries = Map.prototype.entries;
const setValues = Set.prototype.values;
const isView = ArrayBuffer.isView;

export class Walk {
  readonly transferList: ArrayBuffer[] = [];
  /** The kind of the first problem found. */
  problem: string | undefined;
  /** The problem's path, leaf first: each level adds its step as the walk unwinds. */
  readonly segments: Segment[] = [];
  readonly #collect: boolean;
  /** Objects are remembered deeper than this, or once this much work is done. */
  readonly #trackDepth: number;
  readonly #untrackedWork: number;
  readonly #budget: number;
  /** for…in reads a plain object's own keys only while Object.prototype has none enumerable. */
  readonly #forIn = !hasEnumerableKey(Object.prototype);
  #work = 0;
  #seen: Set<object> | undefined;
  /** Buffers already in the transfer list: listing one twice makes postMessage throw. */
  #listed: Set<ArrayBufferLike> | undefined;

  /**
   * `rememberAll`: every object is remembered from the root on (the walk that names paths).
   * `budget`: past this much work the walk throws {@link budgetSpent} and leaves the rest
   * unchecked.
   */
  constructor(collect: boolean, rememberAll: boolean, budget = Number.POSITIVE_INFINITY) {
    this.#collect = collect;
    this.#trackDepth = rememberAll ? -1 : TRACK_DEPTH;
    this.#untrackedWork = rememberAll ? -1 : UNTRACKED_WORK;
    this.#budget = budget;
  }

  /** True when `value` (a reference) can be cloned; otherwise records the problem. */
  visit(value: unknown, depth: number): boolean {
    const type = typeof value;
    if (type === 'function' || type === 'symbol') return this.#fail(type);
    const object = value as object;
    // Before anything touches it: a Proxy's traps are user code (or throw, once revoked), and
    // structured clone refuses every Proxy.
    if (types.isProxy(object)) return this.#fail('Proxy');
    this.#spend(OBJECT_WORK);
    if (depth > this.#trackDepth || this.#work > this.#untrackedWork) {
      this.#seen ??= new Set();
      if (this.#seen.has(object)) return true;
      this.#seen.add(object);
    }
    // Most frequent first: arrays cost one check, plain objects two.
    if (Array.isArray(object)) return this.#visitArray(object, depth);
    const prototype = Object.getPrototypeOf(object);
    if (prototype === Object.prototype) {
      return this.#forIn ? this.#visitPlain(object, depth) : this.#visitKeys(object, depth);
    }
    if (types.isAnyArrayBuffer(object)) return this.#visitBuffer(object as ArrayBuffer);
    if (isView(object)) return this.#visitView(object);
    if (types.isMap(object)) return this.#visitMap(object as Map<unknown, unknown>, depth);
    if (types.isSet(object)) return this.#visitSet(object as Set<unknown>, depth);
    if (types.isNativeError(object)) return this.#visitError(object as Error, depth);
    return this.#visitOther(object, prototype, depth);
  }

  #spend(work: number): void {
    this.#work += work;
    if (this.#work > this.#budget) throw budgetSpent;
  }

  #fail(kind: string): false {
    this.problem = kind;
    return false;
  }

  /** `value` one level down: primitives cost only the check. */
  #child(value: unknown, depth: number): boolean {
    return !isReference(value) || this.visit(value, depth + 1);
  }

  /** True when `segment` is clean; otherwise adds it to the problem's path. */
  #step(segment: Segment, value: unknown, depth: number): boolean {
    if (this.#child(value, depth)) return true;
    this.segments.push(segment);
    return false;
  }

  // for…in on a plain object reads its fields straight from the enum cache, without the
  // array of keys Object.keys makes for every row of a table.
  #visitPlain(object: object, depth: number): boolean {
    for (const key in object) {
      let value: unknown;
      try {
        value = (object as Record<string, unknown>)[key];
      } catch {
        this.segments.push(key);
        return this.#fail('getter that throws');
      }
      this.#spend(1);
      if (!this.#step(key, value, depth)) return false;
    }
    return true;
  }

  #visitKeys(object: object, depth: number): boolean {
    const keys = Object.keys(object);
    this.#spend(keys.length);
    const array = Array.isArray(object);
    for (const key of keys) {
      let value: unknown;
      try {
        value = (object as Record<string, unknown>)[key];
      } catch {
        this.segments.push(array ? indexOrKey(key) : key);
        return this.#fail('getter that throws');
      }
      if (!this.#step(array ? indexOrKey(key) : key, value, depth)) return false;
    }
    return true;
  }

  #visitArray(array: unknown[], depth: number): boolean {
    // Read once: a getter that grows the array cannot keep the walk going.
    const length = array.length;
    if (length > SPARSE_LENGTH) return this.#visitKeys(array, depth);
    this.#spend(length);
    for (let i = skipNumbers(array, length); i < length; i++) {
      let item: unknown;
      try {
        item = array[i];
      } catch {
        this.segments.push(i);
        return this.#fail('getter that throws');
      }
      // Checked here, not in a call: a number passed to a function that is not inlined is
      // boxed, one allocation per item of an array of doubles.
      const type = typeof item;
      if (type !== 'object' && type !== 'function' && type !== 'symbol') continue;
      if (item !== null && !this.visit(item, depth + 1)) {
        this.segments.push(i);
        return false;
      }
    }
    return true;
  }

  #visitMap(map: Map<unknown, unknown>, depth: number): boolean {
    this.#spend(map.size);
    for (const [key, value] of mapEntries.call(map)) {
      if (!this.#step(keysSegment, key, depth)) return false;
      if (!this.#step({ get: key }, value, depth)) return false;
    }
    return true;
  }

  #visitSet(set: Set<unknown>, depth: number): boolean {
    this.#spend(set.size);
    for (const value of setValues.call(set)) {
      if (!this.#step(valuesSegment, value, depth)) return false;
    }
    return true;
  }

  #visitBuffer(buffer: ArrayBuffer): boolean {
    if (types.isSharedArrayBuffer(buffer)) return true;
    if (isDetached(buffer)) return this.#fail('detached ArrayBuffer');
    if (this.#collect) this.#list(buffer);
    return true;
  }

  #visitView(view: ArrayBufferView): boolean {
    const { buffer, byteOffset, byteLength } = intrinsicView(view);
    if (types.isSharedArrayBuffer(buffer)) return true;
    if (isDetached(buffer)) return this.#fail('detached ArrayBuffer');
    const whole = byteOffset === 0 && byteLength === buffer.byteLength;
    if (this.#collect && whole) this.#list(buffer);
    return true;
  }

  #list(buffer: ArrayBufferLike): void {
    this.#listed ??= new Set();
    if (this.#listed.has(buffer)) return;
    this.#listed.add(buffer);
    this.transferList.push(buffer as ArrayBuffer);
  }

  // Structured clone copies an error's name, message, stack and cause, reading them through
  // their getters: a throwing getter or an uncloneable cause fails the whole value.
  #visitError(error: Error, depth: number): boolean {
    if (cloneable(error)) return true;
    const cause = Object.getOwnPropertyDescriptor(error, 'cause');
    if (cause !== undefined && 'value' in cause && !this.#step('cause', cause.value, depth)) {
      return false;
    }
    return this.#fail('Error whose fields cannot be copied');
  }

  // Anything else: a built-in that structured clone copies whole or refuses, or an instance of
  // some class. Structured clone copies an instance's own enumerable properties, unless it is a
  // host object (a MessagePort, a stream) that only transfer can move. Those have no own
  // properties, so a trial clone is cheap exactly where it is needed.
  #visitOther(object: object, prototype: object | null, depth: number): boolean {
    if (types.isDate(object) || types.isRegExp(object)) return true;
    const refused = refusedKind(object);
    if (refused !== undefined) return this.#fail(refused);
    if (types.isBoxedPrimitive(object)) return true;
    if (prototype === null || Object.keys(object).length > 0) {
      return this.#visitKeys(object, depth);
    }
    return cloneable(object) || this.#fail(className(object));
  }
}

export function isReference(value: unknown): boolean {
  const type = typeof value;
  return (type === 'object' && value !== null) || type === 'function' || type === 'symbol';
}

/**
 * The index of the first item that is not a number. A loop of its own: where one load site
 * sees arrays of every kind, V8 boxes each double it reads; here it sees number arrays only.
 */
function skipNumbers(array: unknown[], length: number): number {
  let i = 0;
  try {
    // The first read sees every array; the loop only those that start with a number.
    if (length === 0 || typeof array[0] !== 'number') return 0;
    for (i = 1; i < length && typeof array[i] === 'number'; i++);
  } catch {
    // A getter that throws: the caller reads that item again and reports it.
  }
  return i;
}

function hasEnumerableKey(object: object): boolean {
  for (const _ in object) return true;
  return false;
}

/** An array's key as its path shows it: `[3]` for an index, `.name` for anything else. */
function indexOrKey(key: string): Segment {
  const index = Number(key);
  return String(index) === key ? index : key;
}
