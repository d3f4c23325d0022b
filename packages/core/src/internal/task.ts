/**
 * One spawned task: its own canceller linked under its owner's, a pre-handled result
 * promise (a failure is reported to the owner, so an unobserved `result` must not crash the
 * process), and its place in the live tree.
 *
 * @module
 */

import { deferred } from '@tandem/workers/internal';
import { unwatchGc, watchGc } from '../diagnostics/leak-detector.js';
import { CancelledError } from '../errors.js';
import { Canceller, isCancellation } from './canceller.js';
import { storage, type TaskKind, type TaskState, TreeNode } from './task-tree.js';

/** How a task ended, as its owner sees it. */
export type TaskOutcome =
  | { readonly kind: 'fulfilled' }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'rejected'; readonly error: unknown };

/** What a task needs from whoever spawned it. */
export interface TaskOwner {
  readonly canceller: Canceller | undefined;
  readonly deadline: number | undefined;
  childSettled(task: TreeNode, outcome: TaskOutcome): void;
}

/**
 * A handle on spawned work. `result` settles like the work (it never causes an unhandled
 * rejection: the owning scope reports failures); `cancel()` aborts this task alone.
 */
export interface Task<T> {
  readonly id: number;
  readonly name: string;
  readonly path: string;
  readonly state: TaskState;
  /** When the work started (`clock().now()` ms), or undefined while pending. */
  readonly startedAt: number | undefined;
  /** The deadline in force, from the scope. */
  readonly deadline: number | undefined;
  readonly signal: AbortSignal;
  readonly result: Promise<T>;
  /** Cancels this task only; its siblings and scope carry on. */
  cancel(reason?: unknown): void;
}

const noop = () => {};

export class TaskImpl<T> extends TreeNode implements Task<T> {
  readonly canceller: Canceller;
  readonly result: Promise<T>;
  readonly #owner: TaskOwner;

  constructor(
    kind: TaskKind,
    name: string | undefined,
    treeParent: TreeNode | undefined,
    owner: TaskOwner,
    fn: (signal: AbortSignal) => T | PromiseLike<T>,
    external?: AbortSignal,
  ) {
    super(kind, name ?? (fn.name || undefined), treeParent);
    this.#owner = owner;
    this.canceller = new Canceller(owner.canceller, external);
    const result = deferred<T>();
    result.promise.catch(noop);
    this.result = result.promise;
    watchGc(this);
    // Like asyncio's create_task: the work starts at the next checkpoint, not inside spawn().
    queueMicrotask(() => void this.#run(fn, result.resolve, result.reject));
  }

  get signal(): AbortSignal {
    return this.canceller.signal;
  }

  get deadline(): number | undefined {
    return this.#owner.deadline;
  }

  cancel(reason: unknown = new CancelledError(`Task "${this.path}" was cancelled.`)): void {
    this.canceller.abort(reason, 'self');
  }

  async #run(
    fn: (signal: AbortSignal) => T | PromiseLike<T>,
    resolve: (value: T) => void,
    reject: (error: unknown) => void,
  ): Promise<void> {
    let outcome: TaskOutcome;
    if (this.signal.aborted) {
      // Cancelled before it started: the work never runs.
      reject(this.signal.reason);
      outcome = { kind: 'cancelled' };
    } else {
      this.start();
      try {
        resolve(await storage.run(this, () => fn(this.signal)));
        outcome = { kind: 'fulfilled' };
      } catch (error) {
        reject(error);
        outcome = isCancellation(error, this.signal)
          ? { kind: 'cancelled' }
          : { kind: 'rejected', error };
      }
    }
    this.canceller.unlink();
    unwatchGc(this);
    this.settle(outcome.kind);
    this.#owner.childSettled(this, outcome);
  }
}
