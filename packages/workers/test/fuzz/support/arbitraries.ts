// fast-check arbitraries for hostile values, thrown values and option values (as recipes).
import fc from 'fast-check';
import type { FunctionKind, Recipe } from './recipes.ts';
import type { CodeRecipe, ErrorRecipe, PropRecipe, ThrownRecipe } from './thrown.ts';

/** `fc.anything()` with every kind of value structured clone knows. */
export const anythingOptions: fc.ObjectConstraints = {
  withTypedArray: true,
  withMap: true,
  withSet: true,
  withSparseArray: true,
  withObjectString: true,
  withBigInt: true,
  withDate: true,
  withNullPrototype: true,
  withBoxedValues: true,
  maxDepth: 2,
  maxKeys: 4,
};

/** Keys that objects are not supposed to have. */
const oddKey = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom('__proto__', 'constructor', 'then', 'toJSON', 'prototype', ''),
);

const exotic: fc.Arbitrary<Recipe> = fc.oneof(
  fc.constant<Recipe>({ t: 'revoked' }),
  fc.string({ maxLength: 4 }).map((d): Recipe => ({ t: 'symbol', d })),
  fc
    .constantFrom<FunctionKind>('arrow', 'async', 'class', 'generator', 'bound', 'native')
    .map((f): Recipe => ({ t: 'function', f })),
  fc.constant<Recipe>({ t: 'generatorObject' }),
  fc.constant<Recipe>({ t: 'port' }),
  fc.constant<Recipe>({ t: 'promise' }),
  fc.constantFrom('WeakMap', 'WeakSet', 'WeakRef').map((k): Recipe => ({ t: 'weak', k })),
  fc.constant<Recipe>({ t: 'nullProtoFn' }),
  fc.constant<Recipe>({ t: 'signal' }),
  fc.constant<Recipe>({ t: 'thenable' }),
  fc.constant<Recipe>({ t: 'shared' }),
  fc.constant<Recipe>({ t: 'bufferSlice' }),
  fc.constant<Recipe>({ t: 'detached' }),
);

const plain = fc.anything(anythingOptions).map((v): Recipe => ({ t: 'plain', v }));

/**
 * A hostile value: mostly plain data, with Proxies, getters (throwing or not), cycles,
 * Symbols, functions, generator objects, MessagePorts, revoked Proxies… mixed in at any depth.
 */
export const recipe: fc.Arbitrary<Recipe> = fc.letrec<{ recipe: Recipe }>((tie) => {
  const r = tie('recipe');
  return {
    recipe: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { weight: 4, arbitrary: plain },
      { weight: 3, arbitrary: exotic },
      r.map((of): Recipe => ({ t: 'proxy', of })),
      fc.record({ throws: fc.boolean(), v: r }).map(
        ({ throws, v }): Recipe => ({
          t: 'getter',
          throws,
          v,
        }),
      ),
      r.map((v): Recipe => ({ t: 'cycle', v })),
      r.map((v): Recipe => ({ t: 'symbolKey', v })),
      fc.array(r, { maxLength: 3 }).map((items): Recipe => ({ t: 'array', items })),
      fc
        .record({ length: fc.nat(6), at: fc.array(fc.tuple(fc.nat(6), r), { maxLength: 2 }) })
        .map(({ length, at }): Recipe => ({ t: 'sparse', length, at })),
      fc
        .array(fc.tuple(oddKey, r), { maxLength: 3 })
        .map((entries): Recipe => ({ t: 'object', entries })),
      fc.array(fc.tuple(r, r), { maxLength: 2 }).map((entries): Recipe => ({ t: 'map', entries })),
      fc.array(r, { maxLength: 2 }).map((items): Recipe => ({ t: 'set', items })),
    ),
  };
}).recipe;

const tandemNames = [
  'PoolDestroyedError',
  'WorkerCrashedError',
  'TaskTimeoutError',
  'TandemError',
  'MapItemError',
  'RemoteTaskError',
  'UncloneableResultError',
  'CancelledError',
  'TimeoutError',
  'AbortError',
];

const code: fc.Arbitrary<CodeRecipe> = fc.oneof(
  fc
    .oneof(
      fc.constantFrom('E_OWN', 'ERR_TANDEM_POOL_DESTROYED', 'ERR_TANDEM_WORKER_CRASHED', ''),
      fc.integer(),
      fc.constant(null),
      fc.anything(anythingOptions),
    )
    .map((v): CodeRecipe => ({ k: 'value', v })),
  fc.constantFrom<CodeRecipe>({ k: 'symbol' }, { k: 'function' }),
);

const prop: fc.Arbitrary<PropRecipe> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.anything(anythingOptions).map((v): PropRecipe => ({ k: 'value', v })),
  },
  fc.constantFrom<PropRecipe>(
    { k: 'getter' },
    { k: 'throwingGetter' },
    { k: 'function' },
    { k: 'symbol' },
    { k: 'proxy' },
  ),
  fc.anything(anythingOptions).map((v): PropRecipe => ({ k: 'hidden', v })),
);

const propKey = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom('name', 'message', 'stack', 'code', 'cause', 'errors', 'detail', '__proto__'),
);

/** A thrown value: errors of every shape, and values that are not errors. */
export const thrown: fc.Arbitrary<ThrownRecipe> = fc.letrec<{ thrown: ThrownRecipe }>((tie) => {
  const t = tie('thrown');
  const error: fc.Arbitrary<ErrorRecipe> = fc.record(
    {
      t: fc.constant('error' as const),
      cls: fc.constantFrom(
        'Error',
        'TypeError',
        'RangeError',
        'AggregateError',
        'DOMException',
        'Sub',
        'SubWithCode',
        'Registered',
        'RegisteredGetterOnly',
      ),
      name: fc.option(fc.oneof(fc.constantFrom(...tandemNames), fc.string({ maxLength: 6 })), {
        nil: undefined,
      }),
      message: fc.string({ maxLength: 12 }),
      code: fc.option(code, { nil: undefined }),
      props: fc.array(fc.tuple(propKey, prop), { maxLength: 3 }),
      cause: fc.option(fc.oneof(fc.constantFrom('self' as const, 'loop' as const), t), {
        nil: undefined,
      }),
      errors: fc.option(fc.array(t, { maxLength: 2 }), { nil: undefined }),
    },
    { requiredKeys: ['t', 'cls', 'message', 'props'] },
  );
  return {
    thrown: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      {
        weight: 1,
        arbitrary: fc.anything(anythingOptions).map((v): ThrownRecipe => ({ t: 'value', v })),
      },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom('symbol', 'function', 'proxy', 'revoked', 'promise')
          .map((k): ThrownRecipe => ({ t: 'weird', k })),
      },
      { weight: 4, arbitrary: error },
    ),
  };
}).thrown;

/** An option value, described: the edges of every type a caller might pass. */
export type OptionValue =
  | { k: 'number'; v: number }
  | { k: 'string'; v: string }
  | { k: 'boolean'; v: boolean }
  | { k: 'null' }
  | { k: 'object' }
  | { k: 'array' }
  | { k: 'proxy' }
  | { k: 'function'; throws: boolean }
  | { k: 'signal'; aborted: boolean }
  | { k: 'symbol' }
  | { k: 'bigint' };

/** Numbers at the edges: NaN, ±Infinity, -0, 2³¹ ± 1, 2⁵³, tiny, negative, fractional. */
export const edgeNumber = fc.oneof(
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    0,
    1,
    -1,
    0.5,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32,
    2 ** 53,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    1e9,
  ),
  fc.integer({ min: -10, max: 100 }),
  fc.double(),
);

export const optionValue: fc.Arbitrary<OptionValue> = fc.oneof(
  { weight: 6, arbitrary: edgeNumber.map((v): OptionValue => ({ k: 'number', v })) },
  fc
    .oneof(fc.constantFrom('', 'x', '10', 'Infinity', 'wait'), fc.string({ maxLength: 4 }))
    .map((v): OptionValue => ({ k: 'string', v })),
  fc.boolean().map((v): OptionValue => ({ k: 'boolean', v })),
  fc.constantFrom<OptionValue>(
    { k: 'null' },
    { k: 'object' },
    { k: 'array' },
    { k: 'proxy' },
    { k: 'symbol' },
    { k: 'bigint' },
  ),
  fc.boolean().map((throws): OptionValue => ({ k: 'function', throws })),
  fc.boolean().map((aborted): OptionValue => ({ k: 'signal', aborted })),
);

/** The message a throwing callback throws. */
export const CALLBACK_MESSAGE = 'thrown by a fuzz callback';

/**
 * Builds an option value (a fresh signal, function or proxy each time). The controllers of
 * the signals it makes go to `controllers`, so that a case can abort them later.
 */
export function buildOption(value: OptionValue, controllers: AbortController[] = []): unknown {
  switch (value.k) {
    case 'number':
    case 'string':
    case 'boolean':
      return value.v;
    case 'null':
      return null;
    case 'object':
      return {};
    case 'array':
      return [];
    case 'proxy':
      return new Proxy({}, {});
    case 'function': {
      const throws = value.throws;
      return () => {
        if (throws) throw new Error(CALLBACK_MESSAGE);
      };
    }
    case 'signal': {
      const controller = new AbortController();
      controllers.push(controller);
      if (value.aborted) controller.abort(new Error('aborted before the call'));
      return controller.signal;
    }
    case 'symbol':
      return Symbol('option');
    case 'bigint':
      return 10n;
  }
}

/** Numbers of an option that has a meaning, edges included (mixed with hostile values). */
export function numbers(...values: number[]): fc.Arbitrary<OptionValue> {
  return fc.constantFrom(...values).map((v): OptionValue => ({ k: 'number', v }));
}

/** A duration option is valid when it is a number >= 0 (Infinity included) or absent. */
export function isDuration(value: OptionValue | undefined): boolean {
  return value === undefined || (value.k === 'number' && value.v >= 0);
}

/** A duration long enough that nothing in a case may reach it (Infinity, 2³¹, 30 days…). */
export function isLong(value: OptionValue | undefined): boolean {
  return value === undefined || (value.k === 'number' && value.v >= 60_000);
}

/** A record of optional option values for `keys`, some absent. */
export function optionsOf<K extends string>(
  keys: readonly K[],
  value: fc.Arbitrary<OptionValue> = optionValue,
): fc.Arbitrary<Partial<Record<K, OptionValue>>> {
  const model = Object.fromEntries(keys.map((key) => [key, value])) as Record<
    K,
    fc.Arbitrary<OptionValue>
  >;
  return fc.record(model, { requiredKeys: [] }) as fc.Arbitrary<Partial<Record<K, OptionValue>>>;
}

/** Builds an options object from a record of option values. */
export function buildOptions(
  values: Partial<Record<string, OptionValue>>,
  controllers: AbortController[] = [],
): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) options[key] = buildOption(value, controllers);
  }
  return options;
}
