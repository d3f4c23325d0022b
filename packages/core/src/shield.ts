/**
 * Escapes from structured cancellation, both explicit: `shield()` protects work that must
 * finish (a commit, a cleanup) from the caller's cancellation, and `detach()` starts work
 * that no scope waits for, tracked as a possible leak.
 *
 * @module
 */

import { checkFunction, checkSignal } from '@tandem/workers/internal';
import { leakChannel, publishLeak } from './diagnostics/channels.js';
import { checkName } from './internal/check-name.js';
import { readOptions } from './internal/read-options.js';
import { type Task, TaskImpl, type TaskOwner } from './internal/task.js';
import { newScope, type Scope } from './scope.js';

/** Options of {@link shield}. */
export interface ShieldOptions {
  /** Shown in `tasks()` and in paths. */
  readonly name?: string | undefined;
  /**
   * A time limit of its own (the caller's deadline does not reach in), in ms; `Infinity`
   * sets none.
   */
  readonly timeout?: number | undefined;
}

/**
 * Runs `fn` in a scope that the caller's cancellation and deadline do not reach: it gets
 * its own signal (aborted only by its own `timeout` or its own failure). The caller still
 * waits for it, so a parent cancelled meanwhile waits for the shielded work before it
 * exits. It appears under the caller in `tasks()`. Errors pass through unchanged; its own
 * timeout raises `TimeoutError` (`ERR_TANDEM_TIMEOUT`).
 *
 * @example
 * await scope(async (s) => {
 *   s.spawn(async (signal) => {
 *     const rows = await load(signal);
 *     await shield((inner) => db.commit(rows, { signal: inner.signal }), { timeout: 5_000 });
 *   });
 * });
 */
export async function shield<T>(
  fn: (scope: Scope) => T | PromiseLike<T>,
  options?: ShieldOptions,
): Promise<T> {
  checkFunction('fn', fn);
  const { name = 'shield', timeout } = readOptions('options', options);
  const s = newScope({ name, timeout }, { kind: 'shield', linked: false, errorMode: 'body' });
  const done = await s.run(async (inner) => ({ value: await fn(inner) }));
  if (done === undefined) throw s.signal.reason;
  return done.value;
}

/** Options of {@link detach}. */
export interface DetachOptions {
  /** Shown in `tasks()` (as a top-level `detached` node) and in leak reports. */
  readonly name?: string | undefined;
  /** The only signal that can cancel it (no scope will). */
  readonly signal?: AbortSignal | undefined;
}

const detachedOwner: TaskOwner = {
  canceller: undefined,
  deadline: undefined,
  childSettled(task, outcome) {
    if (outcome.kind === 'rejected' && leakChannel.hasSubscribers) {
      publishLeak({
        kind: 'detached-error',
        id: task.id,
        name: task.name,
        path: task.path,
        error: outcome.error,
      });
    }
  },
};

/**
 * Starts `fn(signal)` outside every scope: nothing waits for it and no scope cancels it.
 * It shows in `tasks()` as a top-level `detached` node and is reported on `tandem:leak`
 * (`detached` when started, `detached-error` if it fails, `gc-pending` if its handle is
 * collected while pending). Its `result` never causes an unhandled rejection.
 *
 * @example
 * const warmup = detach((signal) => cache.warm(signal), { name: 'cache-warmup' });
 */
export function detach<T>(
  fn: (signal: AbortSignal) => T | PromiseLike<T>,
  options?: DetachOptions,
): Task<T> {
  checkFunction('fn', fn);
  const { name, signal } = readOptions('options', options);
  checkSignal('options.signal', signal);
  const task = new TaskImpl(
    'detached',
    checkName('options.name', name),
    undefined,
    detachedOwner,
    fn,
    signal,
  );
  if (leakChannel.hasSubscribers) {
    publishLeak({ kind: 'detached', id: task.id, name: task.name, path: task.path });
  }
  return task;
}
