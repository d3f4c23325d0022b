import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COPY_THRESHOLD, copyForTransfer } from '../src/clone-by-copy.ts';

// copyForTransfer stands in for structured clone of a big buffer: what it returns must be what
// structuredClone would give the worker, and the caller's buffer must stay untouched.

/** The shape a worker would see: type, offsets, lengths, bytes. */
function shape(value: unknown) {
  if (value instanceof ArrayBuffer) {
    return { type: 'ArrayBuffer', size: value.byteLength, bytes: [...new Uint8Array(value)] };
  }
  const view = value as ArrayBufferView;
  return {
    type: Object.getPrototypeOf(view).constructor.name,
    offset: view.byteOffset,
    length: view.byteLength,
    size: view.buffer.byteLength,
    bytes: [...new Uint8Array(view.buffer)],
  };
}

function assertClones(input: ArrayBuffer | ArrayBufferView): void {
  const copied = copyForTransfer(input);
  assert.ok(copied, 'a big buffer is copied');
  assert.deepEqual(shape(copied.value), shape(structuredClone(input)));
  const buffer = input instanceof ArrayBuffer ? input : input.buffer;
  assert.notEqual(copied.transferList[0], buffer, 'the copy is a new buffer');
  assert.equal(copied.transferList.length, 1);
  const moved = structuredClone(copied.value, { transfer: copied.transferList });
  assert.deepEqual(shape(moved), shape(structuredClone(input)), 'it survives the move');
  assert.equal(buffer.byteLength, COPY_THRESHOLD * 2, "the caller's buffer is untouched");
}

const big = () => {
  const buffer = new ArrayBuffer(COPY_THRESHOLD * 2);
  new Uint8Array(buffer).forEach((_, i, bytes) => {
    bytes[i] = i % 251;
  });
  return buffer;
};

test('an ArrayBuffer, a typed array, a DataView and a Buffer arrive as structured clone gives them', () => {
  assertClones(big());
  assertClones(new Uint8Array(big()));
  assertClones(new Float64Array(big(), 8, 1000));
  assertClones(new BigInt64Array(big(), 16));
  assertClones(new DataView(big(), 3, 100));
  assertClones(Buffer.from(big()));
  class Bytes extends Uint8Array {}
  assertClones(new Bytes(big()));
});

test('what it leaves to structured clone: small, shared, resizable, nested, not a buffer', () => {
  assert.equal(copyForTransfer(new Uint8Array(COPY_THRESHOLD - 1)), undefined);
  assert.equal(copyForTransfer(Buffer.from('abc')), undefined, 'a slice of the 8 KiB pool');
  assert.equal(copyForTransfer(new Uint8Array(new SharedArrayBuffer(COPY_THRESHOLD))), undefined);
  // ES2024's resizable buffers: in Node 20, not yet in the TypeScript lib this project targets.
  const Resizable = ArrayBuffer as unknown as new (
    size: number,
    options: { maxByteLength: number },
  ) => ArrayBuffer;
  const resizable = new Resizable(COPY_THRESHOLD, { maxByteLength: COPY_THRESHOLD * 2 });
  assert.equal(copyForTransfer(resizable), undefined);
  assert.equal(copyForTransfer(new Uint8Array(resizable)), undefined);
  assert.equal(copyForTransfer({ bytes: new Uint8Array(COPY_THRESHOLD) }), undefined);
  for (const value of [undefined, null, 1, 'text', [new Uint8Array(COPY_THRESHOLD)]]) {
    assert.equal(copyForTransfer(value), undefined);
  }
});

test('a detached buffer is left alone (structured clone refuses it, as before)', () => {
  const buffer = big();
  const view = new Uint8Array(buffer);
  structuredClone(buffer, { transfer: [buffer] });
  assert.equal(copyForTransfer(buffer), undefined);
  assert.equal(copyForTransfer(view), undefined);
});

test('hostile inputs: no user code runs, nothing throws', () => {
  const view = new Uint8Array(big());
  for (const key of ['buffer', 'byteOffset', 'byteLength', 'length']) {
    Object.defineProperty(view, key, {
      get() {
        throw new Error(`own ${key} getter`);
      },
    });
  }
  assert.deepEqual(shape(copyForTransfer(view)!.value), shape(new Uint8Array(big())));
  class Species extends ArrayBuffer {
    static override get [Symbol.species](): never {
      throw new Error('species');
    }
  }
  const odd = new Species(COPY_THRESHOLD);
  assert.equal((copyForTransfer(odd)!.value as ArrayBuffer).byteLength, COPY_THRESHOLD);
  assert.equal(copyForTransfer(new Proxy(new Uint8Array(COPY_THRESHOLD), {})), undefined);
  const { proxy, revoke } = Proxy.revocable(new ArrayBuffer(COPY_THRESHOLD), {});
  revoke();
  assert.equal(copyForTransfer(proxy), undefined);
});
