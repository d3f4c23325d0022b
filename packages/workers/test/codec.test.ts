import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import {
  deserializeError,
  PoolDestroyedError,
  RemoteTaskError,
  registerError,
  type SerializedError,
  serializeError,
  TandemError,
} from '@tandem/workers';

// The error codec on hostile values: serializing never throws and always yields data that
// structured clone carries; rebuilding never throws. In-process: these are synchronous calls.

const boom = () => {
  throw new Error('this getter throws');
};
const withGetters = (error: Error, keys: string[], enumerable = false) => {
  // V8 formats the stack when it is redefined, reading name and message: do it first.
  void error.stack;
  for (const key of keys) Object.defineProperty(error, key, { get: boom, enumerable });
  return error;
};
const revoked = () => {
  const { proxy, revoke } = Proxy.revocable(new Error('revoked'), {});
  revoke();
  return proxy;
};
const deepCauses = (depth: number) => {
  let error = new Error('root');
  for (let i = 0; i < depth; i++) error = new Error(`level ${i}`, { cause: error });
  return error;
};
const cyclic = () => {
  const a = new Error('a');
  const b = new Error('b', { cause: a });
  Object.defineProperty(a, 'cause', { value: b });
  return a;
};
const hugeErrors = () => {
  const errors: unknown[] = [];
  errors.length = 2 ** 32 - 1;
  return Object.assign(new Error('sparse'), { errors });
};

const ports: MessagePort[] = [];
after(() => {
  for (const port of ports) port.close();
});

const hostile: Record<string, () => unknown> = {
  'throwing name, message, stack': () => withGetters(new Error('x'), ['stack', 'name', 'message']),
  'throwing code and cause': () => withGetters(new Error('x'), ['code', 'cause']),
  'throwing own enumerable property': () => withGetters(new Error('x'), ['detail'], true),
  'Proxy around an error': () => new Proxy(new TypeError('inside'), {}),
  'Proxy whose traps throw': () =>
    new Proxy(new Error('x'), { get: boom, has: boom, ownKeys: boom, getPrototypeOf: boom }),
  'revoked Proxy': revoked,
  'AggregateError with errors = 5': () =>
    Object.defineProperty(new AggregateError([], 'x'), 'errors', { value: 5 }),
  'AggregateError with a throwing errors getter': () =>
    withGetters(new AggregateError([new Error('a')], 'x'), ['errors']),
  'errors holding hostile values': () => new AggregateError([revoked(), Symbol('s'), () => 1], 'x'),
  'null-prototype object': () => Object.create(null),
  'object whose toString throws': () => ({ toString: boom, fn: () => 1 }),
  'a symbol': () => Symbol('thrown'),
  'a function': () => () => 1,
  'cause chain 100k deep': () => deepCauses(100_000),
  'cyclic causes': cyclic,
  'uncloneable code and props': () => {
    const { port1 } = new MessageChannel();
    ports.push(port1);
    return Object.assign(new Error('x'), { code: () => 1, port: port1 });
  },
  'errors array of length 2^32-1': hugeErrors,
  'prototype chain that throws': () =>
    Object.setPrototypeOf(
      new Error('x'),
      new Proxy(Error.prototype, { get: boom, getPrototypeOf: boom }),
    ),
};

for (const [label, make] of Object.entries(hostile)) {
  test(`serializeError never throws and gives cloneable data: ${label} (11)`, () => {
    const value = make();
    const serialized = serializeError(value);
    const carried = structuredClone(serialized);
    assert.doesNotThrow(() => deserializeError(carried));
  });
}

test('serializeError keeps what can be read next to what cannot (11)', () => {
  const error = withGetters(Object.assign(new Error('readable'), { ok: 1 }), ['code', 'bad'], true);
  const serialized = serializeError(error);
  assert.equal(serialized.kind, 'error');
  if (serialized.kind !== 'error') return;
  assert.equal(serialized.message, 'readable');
  assert.equal(serialized.code, undefined);
  assert.deepEqual(serialized.props, { ok: 1 });
});

test('a cause chain deeper than the codec keeps is cut, not overflowed', () => {
  const rebuilt = deserializeError(structuredClone(serializeError(deepCauses(100_000)))) as Error;
  assert.equal(rebuilt.message, 'level 99999');
  assert.ok(rebuilt.cause instanceof Error);
});

class GetterOnly extends Error {
  get detail() {
    return 'prototype';
  }
}
class ThrowingSetter extends Error {
  set detail(_: unknown) {
    throw new Error('setter refuses');
  }
}
class FrozenPrototype extends Error {}
Object.defineProperty(FrozenPrototype.prototype, 'detail', { value: 'frozen', writable: false });
Object.freeze(FrozenPrototype.prototype);
registerError('E_GETTER_ONLY_UNIT', GetterOnly);
registerError('E_THROWING_SETTER', ThrowingSetter);
registerError('E_FROZEN_PROTOTYPE', FrozenPrototype);

const remote = (code: string, props: Record<string, unknown>): SerializedError => ({
  kind: 'error',
  name: 'Error',
  message: 'remote',
  stack: undefined,
  code,
  props,
});

for (const [code, Class] of [
  ['E_GETTER_ONLY_UNIT', GetterOnly],
  ['E_THROWING_SETTER', ThrowingSetter],
  ['E_FROZEN_PROTOTYPE', FrozenPrototype],
] as const) {
  test(`deserializeError never throws: registered ${Class.name}, remote own property over it (7)`, () => {
    const rebuilt = deserializeError(remote(code, { detail: 'own', other: 2 })) as Error;
    assert.ok(rebuilt instanceof Class);
    assert.equal(rebuilt.message, 'remote');
    assert.equal((rebuilt as unknown as { other: number }).other, 2);
    assert.equal((rebuilt as unknown as { detail: string }).detail, 'own');
  });
}

test('a remote own __proto__ property stays a property: the prototype is not replaced', () => {
  const props = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
  const rebuilt = deserializeError(remote('E_NONE', props)) as Error;
  assert.equal(Object.getPrototypeOf(rebuilt), Error.prototype);
  assert.equal((rebuilt as unknown as { polluted?: boolean }).polluted, undefined);
  assert.ok(Object.hasOwn(rebuilt, '__proto__'));
});

test('deserializeError never throws on malformed data', () => {
  const cyclic: Record<string, unknown> = { kind: 'error', name: 'E', message: 'm', props: {} };
  cyclic.cause = cyclic;
  for (const data of [
    null,
    5,
    { kind: 'nonsense' },
    { kind: 'error' },
    { kind: 'error', name: 7, message: {}, stack: 1, props: 5, errors: 'x', cause: null },
    cyclic,
  ]) {
    assert.doesNotThrow(() => deserializeError(data as SerializedError));
  }
});

test('engine classes are rebuilt only for real Tandem errors (19a)', () => {
  const real = deserializeError(structuredClone(serializeError(new PoolDestroyedError('t'))));
  assert.ok(real instanceof PoolDestroyedError);
  const posing = Object.assign(new Error('not the engine'), {
    name: 'PoolDestroyedError',
    code: 'ERR_TANDEM_POOL_DESTROYED',
  });
  const rebuilt = deserializeError(structuredClone(serializeError(posing))) as RemoteTaskError;
  assert.ok(rebuilt instanceof RemoteTaskError);
  assert.equal(TandemError.isTandemError(rebuilt), false);
  assert.equal(rebuilt.name, 'PoolDestroyedError');
  assert.equal(rebuilt.code, 'ERR_TANDEM_POOL_DESTROYED');
});

test('an own errors array on a non-AggregateError is kept (19b)', () => {
  const error = Object.assign(new Error('several'), { errors: [new RangeError('a'), 'b'] });
  const rebuilt = deserializeError(structuredClone(serializeError(error))) as Error & {
    errors: unknown[];
  };
  assert.ok(rebuilt.errors[0] instanceof RangeError);
  assert.equal(rebuilt.errors[1], 'b');
});

test('registerError checks its arguments', () => {
  assert.throws(() => registerError(5 as unknown as string, GetterOnly), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
  assert.throws(() => registerError('E_X', {} as unknown as typeof GetterOnly), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
});
