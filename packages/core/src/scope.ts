/**
 * Scopes (task groups): structured concurrency with plain `async` functions and
 * `AbortSignal`. A scope's exit waits for every child; the first real failure aborts the
 * rest; cancellation flows down from parent to child, and `engine.run` inside a scope uses
 * the scope's signal and deadline.
 *
 * @module
 */

import { clock, InvalidArgumentError } from '@tandem/workers';
import { checkFunction, checkNumber, checkSignal } from '@tandem/workers/internal';
import { checkName } from './internal/check-name.js';
import { readOptions } from './internal/read-options.js';
import { ScopeImpl, type SpawnOptions } from './internal/scope-impl.js';
import type { Task } from './internal/task.js';
import { storage, type TaskState } from './internal/task-tree.js';

/** Options of {@link scope} and {@link openScope}. */
export interface ScopeOptions {
  /** Shown in `tasks()` and in paths; defaults to `scope-<id>`. */
  readonly name?: string | undefined;
  /**
   * Milliseconds from now until the deadline; `<= 0` expires before any work starts,
   * `Infinity` sets none. Any length works, also past Node's timer range (2³¹ − 1 ms).
   */
  readonly timeout?: number | undefined;
  /**
   * Absolute deadline in `clock().now()` milliseconds (the earlier of the two wins);
   * `Infinity` sets none.
   */
  readonly deadline?: number | undefined;
  /**
   * A foreign signal that cancels the scope as if from outside. It joins the enclosing
   * scope's cancellation (both apply).
   */
  readonly signal?: AbortSignal | undefined;
  /**
   * Children still running this long after an abort are reported on `tandem:leak`.
   * Default 1000 ms; `Infinity` never reports.
   */
  readonly abortGrace?: number | undefined;
}

/**
 * A running task group. Children get a signal linked to {@link Scope.signal}; the first
 * child failure that is not a cancellation aborts the siblings and the body.
 */
export interface Scope extends AsyncDisposable {
  readonly id: number;
  readonly name: string;
  /** Names from the root scope, joined by `/`. */
  readonly path: string;
  readonly state: TaskState;
  /** Aborts when the scope is cancelled: from outside, by a failure, a deadline, or `cancel()`. */
  readonly signal: AbortSignal;
  /** The deadline in force here (own or inherited, the earlier), in `clock().now()` ms. */
  readonly deadline: number | undefined;
  /** True once this scope's own deadline fired. */
  readonly expired: boolean;
  /**
   * Starts `fn(signal)` at the next microtask as a child of this scope.
   * @throws ScopeClosedError `ERR_TANDEM_SCOPE_CLOSED` if the scope is aborting or closed;
   *   `fn` is then never called.
   */
  spawn<T>(fn: (signal: AbortSignal) => T | PromiseLike<T>, options?: SpawnOptions): Task<T>;
  /** Cancels the body and every child; the scope then exits cleanly (no error). */
  cancel(reason?: unknown): void;
  /**
   * Moves this scope's own deadline (absolute, `clock().now()` ms; undefined removes it).
   * @throws ScopeClosedError `ERR_TANDEM_SCOPE_CLOSED` once the scope is aborting or closed.
   */
  reschedule(deadline: number | undefined): void;
}

interface DisposableScope extends Scope {}

class PublicScope extends ScopeImpl implements DisposableScope {
  async [Symbol.asyncDispose](): Promise<void> {
    await this.join();
    this.exit({ ok: true, value: undefined });
  }
}

/** @internal Builds a scope under the running one; shared by `timeout()`, combinators, `retry()`. */
export function newScope(
  input: ScopeOptions | undefined,
  extra: Partial<ConstructorParameters<typeof ScopeImpl>[0]> = {},
): PublicScope {
  // Each option is read once, so a getter or Proxy cannot change it after its check.
  const { name, timeout, signal, abortGrace, deadline: absolute } = readOptions('options', input);
  checkName('options.name', name);
  checkSignal('options.signal', signal);
  if (abortGrace !== undefined) checkNumber('options.abortGrace', abortGrace, 0, true);
  let deadline = absolute;
  if (deadline !== undefined) checkNumber('options.deadline', deadline, -Infinity, true);
  if (timeout !== undefined) {
    checkNumber('options.timeout', timeout, -Infinity, true);
    const fromTimeout = clock().now() + timeout;
    deadline = deadline === undefined ? fromTimeout : Math.min(deadline, fromTimeout);
  }
  if (deadline === Number.POSITIVE_INFINITY) deadline = undefined;
  return new PublicScope({
    name,
    parent: storage.getStore(),
    deadline,
    signal,
    abortGrace,
    ...extra,
  });
}

/**
 * Runs `body` in a new scope (a task group) and waits for every child, including those
 * spawned while exiting.
 *
 * - Resolves with the body's value. If the scope cancelled itself (`s.cancel()`) and that
 *   interrupted the body, resolves with `undefined`.
 * - Real failures (body or children; never cancellations) reject with a
 *   `TaskGroupError` (`ERR_TANDEM_TASK_GROUP`) after all children settled.
 * - Cancelled from outside (parent scope, `options.signal`): rejects with that reason.
 * - Own deadline passed (`timeout`/`deadline`): rejects with `TimeoutError`
 *   (`ERR_TANDEM_TIMEOUT`), only in this scope; enclosing scopes see the error as is.
 * - `scope(body, options)` (options after the body) rejects with `InvalidArgumentError`
 *   (`ERR_TANDEM_INVALID_ARGUMENT`) without running `body`: options go first.
 *
 * @example
 * await scope(async (s) => {
 *   for (const url of urls) s.spawn((signal) => fetch(url, { signal }), { name: url });
 * });
 */
export function scope<T>(body: (scope: Scope) => T | PromiseLike<T>): Promise<T | undefined>;
export function scope<T>(
  options: ScopeOptions,
  body: (scope: Scope) => T | PromiseLike<T>,
): Promise<T | undefined>;
export async function scope<T>(
  a: ScopeOptions | ((scope: Scope) => T | PromiseLike<T>),
  b?: (scope: Scope) => T | PromiseLike<T>,
): Promise<T | undefined> {
  if (typeof a === 'function') {
    // `scope(body, options)` would silently drop the options (a deadline that never fires).
    if (b !== undefined) {
      throw new InvalidArgumentError(
        'scope() takes (options, body) or (body): options go first, as in scope({ timeout: 1_000 }, body)',
      );
    }
    return newScope({}).run(a);
  }
  checkFunction('body', b);
  return newScope(a).run(b as (scope: Scope) => T | PromiseLike<T>);
}

/**
 * Opens a scope for `await using`: leaving the block joins every child and throws like
 * {@link scope}. The block's own code is not run inside the scope (pass `s.signal` on
 * yourself), and a throw from the block does not cancel the children: call `s.cancel()`
 * in a `catch` if it should.
 *
 * @example
 * {
 *   await using s = openScope({ timeout: 5_000 });
 *   s.spawn((signal) => crawl(site, signal));
 * } // joins here
 */
export function openScope(options?: ScopeOptions): Scope {
  if (typeof options === 'function') {
    throw new InvalidArgumentError(
      'openScope() takes options only: use scope(body) to run a function in a scope',
    );
  }
  return newScope(options);
}

export type { SpawnOptions } from './internal/scope-impl.js';
export type { Task } from './internal/task.js';
