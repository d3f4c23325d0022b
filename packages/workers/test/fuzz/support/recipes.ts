// Hostile values as recipes: plain data that fast-check generates, prints and shrinks, turned
// into the real value (a Proxy, a revoked Proxy, a getter, a cycle, a MessagePort…) only when
// a case runs, fresh each time. The worker fixtures build the same recipes, so a value a task
// returns or throws is as hostile as one a caller sends.
import { MessageChannel, type MessagePort } from 'node:worker_threads';

/** A hostile value, described. `plain` leaves come from `fc.anything()`. */
export type Recipe =
  | { t: 'plain'; v: unknown }
  | { t: 'proxy'; of: Recipe }
  | { t: 'revoked' }
  | { t: 'getter'; throws: boolean; v: Recipe }
  | { t: 'cycle'; v: Recipe }
  | { t: 'symbol'; d: string }
  | { t: 'symbolKey'; v: Recipe }
  | { t: 'function'; f: FunctionKind }
  | { t: 'generatorObject' }
  | { t: 'port' }
  | { t: 'promise' }
  | { t: 'weak'; k: 'WeakMap' | 'WeakSet' | 'WeakRef' }
  | { t: 'nullProtoFn' }
  | { t: 'signal' }
  | { t: 'thenable' }
  | { t: 'shared' }
  | { t: 'bufferSlice' }
  | { t: 'detached' }
  | { t: 'array'; items: Recipe[] }
  | { t: 'sparse'; length: number; at: [number, Recipe][] }
  | { t: 'object'; entries: [string, Recipe][] }
  | { t: 'map'; entries: [Recipe, Recipe][] }
  | { t: 'set'; items: Recipe[] };

export type FunctionKind = 'arrow' | 'async' | 'class' | 'generator' | 'bound' | 'native';

/** What building opened and must be closed after the case (ports keep a process alive). */
export interface Opened {
  ports: MessagePort[];
}

export function opened(): Opened {
  return { ports: [] };
}

export function closeOpened({ ports }: Opened): void {
  for (const port of ports.splice(0)) port.close();
}

/** The message a throwing getter throws; a case can tell it from an engine error. */
export const GETTER_MESSAGE = 'thrown by a fuzz getter';

/** Builds the value a recipe describes. With `copyPlain`, plain leaves are fresh copies. */
export function build(recipe: Recipe, open: Opened, copyPlain = false): unknown {
  const again = (r: Recipe) => build(r, open, copyPlain);
  switch (recipe.t) {
    case 'plain':
      return copyPlain ? copy(recipe.v) : recipe.v;
    case 'proxy': {
      const inner = again(recipe.of);
      const target = typeof inner === 'object' && inner !== null ? inner : { value: inner };
      return new Proxy(target, {});
    }
    case 'revoked': {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    }
    case 'getter': {
      const value = again(recipe.v);
      const throws = recipe.throws;
      return Object.defineProperty({ before: 1 }, 'got', {
        enumerable: true,
        get() {
          if (throws) throw new Error(GETTER_MESSAGE);
          return value;
        },
      });
    }
    case 'cycle': {
      const node: Record<string, unknown> = { value: again(recipe.v) };
      node.self = node;
      node.list = [node, [node]];
      return node;
    }
    case 'symbol':
      return Symbol(recipe.d);
    case 'symbolKey':
      return { [Symbol('key')]: again(recipe.v), visible: 1 };
    case 'function':
      return makeFunction(recipe.f);
    case 'generatorObject':
      return (function* numbers() {
        yield 1;
      })();
    case 'port': {
      const { port1, port2 } = new MessageChannel();
      open.ports.push(port1, port2);
      return port1;
    }
    case 'promise':
      return Promise.resolve(1);
    case 'weak':
      return recipe.k === 'WeakMap'
        ? new WeakMap()
        : recipe.k === 'WeakSet'
          ? new WeakSet()
          : new WeakRef({});
    case 'nullProtoFn':
      return Object.assign(Object.create(null) as object, { fn: () => 1, n: 1 });
    case 'signal':
      return new AbortController().signal;
    case 'thenable':
      return {
        // biome-ignore lint/suspicious/noThenProperty: a thenable is the hostile value here.
        then(resolve: (value: unknown) => void) {
          resolve('from a thenable');
        },
      };
    case 'shared':
      return new Int32Array(new SharedArrayBuffer(8));
    case 'bufferSlice':
      return Buffer.from('a small Buffer is a view of a shared pool');
    case 'detached': {
      const buffer = new ArrayBuffer(8);
      structuredClone(buffer, { transfer: [buffer] });
      return buffer;
    }
    case 'array':
      return recipe.items.map(again);
    case 'sparse': {
      const array: unknown[] = new Array(recipe.length);
      for (const [index, r] of recipe.at) array[index % Math.max(1, recipe.length)] = again(r);
      return array;
    }
    case 'object': {
      // defineProperty, so that a key like "__proto__" is an own property, not a prototype.
      const object: Record<string, unknown> = {};
      for (const [key, r] of recipe.entries) {
        Object.defineProperty(object, key, {
          value: again(r),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return object;
    }
    case 'map':
      return new Map(recipe.entries.map(([k, v]) => [again(k), again(v)]));
    case 'set':
      return new Set(recipe.items.map(again));
  }
}

function makeFunction(kind: FunctionKind): unknown {
  switch (kind) {
    case 'arrow':
      return () => 1;
    case 'async':
      return async () => 1;
    case 'class':
      return class Thing {};
    case 'generator':
      return function* gen() {};
    case 'bound':
      return function named(this: unknown) {
        return this;
      }.bind(null);
    case 'native':
      return Math.max;
  }
}

function copy(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    return value;
  }
}

/**
 * What structured clone makes of the value `recipe` builds (the reference a result is
 * compared with), or why it refuses it.
 */
export function cloneOf(
  recipe: Recipe,
): { ok: true; value: unknown } | { ok: false; error: unknown } {
  const open = opened();
  try {
    return { ok: true, value: structuredClone(build(recipe, open)) };
  } catch (error) {
    return { ok: false, error };
  } finally {
    closeOpened(open);
  }
}

/** True when a recipe's value holds a throwing getter (reading it throws, not cloning). */
export function hasThrowingGetter(recipe: Recipe): boolean {
  switch (recipe.t) {
    case 'getter':
      return recipe.throws || hasThrowingGetter(recipe.v);
    case 'proxy':
      return hasThrowingGetter(recipe.of);
    case 'cycle':
      return hasThrowingGetter(recipe.v);
    case 'array':
    case 'set':
      return recipe.items.some(hasThrowingGetter);
    case 'sparse':
      return recipe.at.some(([, r]) => hasThrowingGetter(r));
    case 'object':
      return recipe.entries.some(([, r]) => hasThrowingGetter(r));
    case 'map':
      return recipe.entries.some(([k, v]) => hasThrowingGetter(k) || hasThrowingGetter(v));
    default:
      return false;
  }
}
