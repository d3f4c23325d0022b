// Thrown values as recipes: what a fuzz task throws (errors with odd properties, getters,
// cause cycles, AggregateErrors, subclasses with codes, errors named like Tandem's own, and
// values that are not errors at all), built the same way in the worker and on the loop.
import { GETTER_MESSAGE } from './recipes.ts';

export type ErrorClassName =
  | 'Error'
  | 'TypeError'
  | 'RangeError'
  | 'AggregateError'
  | 'DOMException'
  | 'Sub'
  | 'SubWithCode'
  | 'Registered'
  | 'RegisteredGetterOnly';

/** A property of a thrown error. */
export type PropRecipe =
  | { k: 'value'; v: unknown }
  | { k: 'getter' }
  | { k: 'throwingGetter' }
  | { k: 'function' }
  | { k: 'symbol' }
  | { k: 'proxy' }
  | { k: 'hidden'; v: unknown };

export type CodeRecipe = { k: 'value'; v: unknown } | { k: 'symbol' } | { k: 'function' };

export interface ErrorRecipe {
  t: 'error';
  cls: ErrorClassName;
  /** An own `name`, e.g. one of Tandem's class names. */
  name?: string | undefined;
  message: string;
  code?: CodeRecipe | undefined;
  props: [string, PropRecipe][];
  /** `self`: the error is its own cause; `loop`: its cause's cause is the error. */
  cause?: ThrownRecipe | 'self' | 'loop' | undefined;
  /** An AggregateError's `errors`, or an own `errors` array on any other error. */
  errors?: ThrownRecipe[] | undefined;
}

export type ThrownRecipe =
  | ErrorRecipe
  | { t: 'value'; v: unknown }
  | { t: 'weird'; k: 'symbol' | 'function' | 'proxy' | 'revoked' | 'promise' };

/** An error subclass the loop does not register: it comes back as RemoteTaskError. */
export class FuzzSubError extends Error {}

/** A subclass with its own code, not registered. */
export class FuzzCodedError extends Error {
  code = 'E_FUZZ_CODED';
}

/** Registered on the loop side (`registerError`): it must come back as an instance. */
export class FuzzRegisteredError extends Error {
  code = 'E_FUZZ_REGISTERED';
}

/**
 * Registered, with a getter-only `detail` on its prototype, while the worker's instance has
 * `detail` as an own property: the loop cannot assign it (issue 7, defect 7).
 */
export class FuzzGetterOnlyError extends Error {
  code = 'E_FUZZ_GETTER_ONLY';
  get detail(): string {
    return 'from the prototype';
  }
}

/** Builds what `recipe` describes (a fresh value, cycles included). */
export function buildThrown(recipe: ThrownRecipe): unknown {
  if (recipe.t === 'value') return recipe.v;
  if (recipe.t === 'weird') {
    switch (recipe.k) {
      case 'symbol':
        return Symbol('thrown');
      case 'function':
        return function thrownFunction() {};
      case 'proxy':
        return new Proxy(new Error('behind a proxy'), {});
      case 'revoked': {
        const { proxy, revoke } = Proxy.revocable({}, {});
        revoke();
        return proxy;
      }
      case 'promise':
        return Promise.resolve('thrown promise');
    }
  }
  return buildError(recipe);
}

function buildError(recipe: ErrorRecipe): Error {
  const error = newError(recipe);
  // Defined, not assigned: a DOMException's `name` and `code` are getters without setters.
  const own = (key: string, value: unknown) =>
    Object.defineProperty(error, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  if (recipe.name !== undefined) own('name', recipe.name);
  if (recipe.code !== undefined) {
    const { code } = recipe;
    own('code', code.k === 'value' ? code.v : code.k === 'symbol' ? Symbol('code') : () => 'code');
  }
  for (const [key, prop] of recipe.props) defineProp(error, key, prop);
  if (recipe.cause === 'self') {
    own('cause', error);
  } else if (recipe.cause === 'loop') {
    own('cause', Object.assign(new Error('the cause whose cause is its effect'), { cause: error }));
  } else if (recipe.cause !== undefined) {
    own('cause', buildThrown(recipe.cause));
  }
  if (recipe.errors !== undefined && recipe.cls !== 'AggregateError') {
    own('errors', recipe.errors.map(buildThrown));
  }
  return error;
}

function newError(recipe: ErrorRecipe): Error {
  const { message } = recipe;
  switch (recipe.cls) {
    case 'Error':
      return new Error(message);
    case 'TypeError':
      return new TypeError(message);
    case 'RangeError':
      return new RangeError(message);
    case 'AggregateError':
      return new AggregateError((recipe.errors ?? []).map(buildThrown), message);
    case 'DOMException':
      return new DOMException(message, 'DataCloneError');
    case 'Sub':
      return new FuzzSubError(message);
    case 'SubWithCode':
      return new FuzzCodedError(message);
    case 'Registered':
      return new FuzzRegisteredError(message);
    case 'RegisteredGetterOnly':
      return Object.defineProperty(new FuzzGetterOnlyError(message), 'detail', {
        value: 'own',
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
}

function defineProp(error: Error, key: string, prop: PropRecipe): void {
  const data = (value: unknown, enumerable = true) =>
    Object.defineProperty(error, key, { value, enumerable, writable: true, configurable: true });
  switch (prop.k) {
    case 'value':
      return void data(prop.v);
    case 'hidden':
      return void data(prop.v, false);
    case 'function':
      return void data(() => 'a function property');
    case 'symbol':
      return void data(Symbol('prop'));
    case 'proxy':
      return void data(new Proxy({ inside: 1 }, {}));
    case 'getter':
    case 'throwingGetter': {
      const throws = prop.k === 'throwingGetter';
      Object.defineProperty(error, key, {
        enumerable: true,
        configurable: true,
        get() {
          if (throws) throw new Error(GETTER_MESSAGE);
          return 'from a getter';
        },
      });
    }
  }
}
