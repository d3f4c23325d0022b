/**
 * Structured clone of a big buffer, done as a copy and a move: `copyForTransfer(input)` copies
 * a top-level `ArrayBuffer`, typed array or `DataView` of at least `COPY_THRESHOLD` bytes in
 * JavaScript and returns the copy with its buffer to transfer. The worker receives what
 * structured clone would have given it (same type, same byte offset and length, a buffer of
 * the same size) for one copy instead of two: structured clone copies the bytes into the
 * message and out of it again. Through Piscina it also writes into a message buffer that V8
 * grows to twice the data (Piscina writes fields after the task), which glibc serves from a
 * fresh mapping every time: 16 MB cloned page-faults 16–32 MB anew on each send.
 *
 * For the pool to call when it sends a task without `transfer` (at dispatch, as structured
 * clone would copy then, and again if the task is sent again after a crash: the caller's
 * buffer is never touched). Anything else — nested buffers, shared or resizable ones, small
 * ones, Proxies — returns undefined: send the input as it is.
 *
 * @module
 */
import { types } from 'node:util';
import { intrinsicView } from './clone-rules.js';

/** Below this, structured clone's second copy costs less than a transfer's bookkeeping. */
export const COPY_THRESHOLD = 2 ** 20;

/** The value to send in place of the input, and the buffers to move with it. */
export interface Copied {
  value: unknown;
  transferList: ArrayBuffer[];
}

type TypedArrayConstructor =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Uint8ClampedArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

// Captured once, by name: the type structured clone gives a typed array is its built-in one
// (a subclass, a Node Buffer, arrives as the base type).
const typedArrays = new Map<string, TypedArrayConstructor>(
  [
    Int8Array,
    Uint8Array,
    Uint8ClampedArray,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    Float32Array,
    Float64Array,
    BigInt64Array,
    BigUint64Array,
  ].map((Type) => [Type.name, Type as TypedArrayConstructor]),
);
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const typeName = Object.getOwnPropertyDescriptor(typedArrayPrototype, Symbol.toStringTag)!.get!;
const resizable = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'resizable')?.get;
const byteLengthOf = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength')!.get!;

/**
 * A copy of `input` to send by transfer, or undefined to send `input` as it is. Never throws;
 * never calls user code (every length and offset is read through the built-in getters).
 */
export function copyForTransfer(input: unknown): Copied | undefined {
  if (typeof input !== 'object' || input === null || types.isProxy(input)) return undefined;
  if (types.isArrayBuffer(input)) {
    const copy = copyOf(input as ArrayBuffer);
    return copy && { value: copy, transferList: [copy] };
  }
  if (!ArrayBuffer.isView(input)) return undefined;
  const { buffer, byteOffset, byteLength } = intrinsicView(input);
  const copy = types.isSharedArrayBuffer(buffer) ? undefined : copyOf(buffer as ArrayBuffer);
  if (copy === undefined) return undefined;
  if (types.isDataView(input)) {
    return { value: new DataView(copy, byteOffset, byteLength), transferList: [copy] };
  }
  const Type = typedArrays.get(typeName.call(input) as string);
  if (Type === undefined) return undefined;
  const value = new Type(copy, byteOffset, byteLength / Type.BYTES_PER_ELEMENT);
  return { value, transferList: [copy] };
}

/** A fresh buffer with the bytes of `buffer`, or undefined when it is small or resizable. */
function copyOf(buffer: ArrayBuffer): ArrayBuffer | undefined {
  const size = byteLengthOf.call(buffer) as number;
  // A detached buffer has length 0: small. A resizable one would arrive fixed.
  if (size < COPY_THRESHOLD || resizable?.call(buffer) === true) return undefined;
  const copy = new ArrayBuffer(size);
  // set() between two Uint8Arrays is one memcpy; slice() would ask the buffer's constructor
  // (user code, for a subclass) what to make.
  new Uint8Array(copy).set(new Uint8Array(buffer));
  return copy;
}
