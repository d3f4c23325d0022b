/**
 * The task group behind `scope()`, `timeout()`, `shield()` and the combinators: it spawns
 * children, joins them all (including ones spawned while joining), turns the first real
 * failure into an abort of everything else, owns a deadline timer, and decides how it exits.
 *
 * @module
 */

import { clock } from '@tandem/workers';
import {
  checkFunction,
  checkNumber,
  type Deferred,
  deferred,
  startTimer,
  type Timer,
} from '@tandem/workers/internal';
import { watchIgnoredAbort } from '../diagnostics/leak-detector.js';
import { CancelledError, ScopeClosedError, TaskGroupError, TimeoutError } from '../errors.js';
import { Canceller, isCancellation } from './canceller.js';
import { checkName } from './check-name.js';
import { readOptions } from './read-options.js';
import { type Task, TaskImpl, type TaskOutcome } from './task.js';
import { storage, type TaskKind, TreeNode } from './task-tree.js';

/**
 * How real failures leave the scope: `group` always as a `TaskGroupError`; `body` lets a
 * lone body failure through unchanged (timeouts, shields); `first` throws the first one.
 */
export type ErrorMode = 'group' | 'body' | 'first';

export interface ScopeInit {
  readonly kind?: TaskKind;
  readonly name?: string | undefined;
  readonly parent: TreeNode | undefined;
  /** False for a shield: the parent's cancellation and deadline do not reach in. */
  readonly linked?: boolean;
  readonly deadline?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly errorMode?: ErrorMode;
  /** After an abort, children still running this much later are reported as leaks. */
  readonly abortGrace?: number | undefined;
}

/** Options of `spawn()`. */
export interface SpawnOptions {
  /** Shown in `tasks()` and in paths; defaults to the function's name or `task-<id>`. */
  readonly name?: string | undefined;
}

type BodyOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

const DEFAULT_ABORT_GRACE = 1_000;

export class ScopeImpl extends TreeNode {
  readonly canceller: Canceller;
  readonly #linked: boolean;
  readonly #errorMode: ErrorMode;
  readonly #abortGrace: number;
  readonly #errors: unknown[] = [];
  #bodyFailed = false;
  #sawCancel = false;
  #closed = false;
  #pending = 0;
  #idle: Deferred<void> | undefined;
  #ownDeadline: number | undefined;
  #expiredAt: number | undefined;
  #timer: Timer | undefined;
  #stopGraceWatch: (() => void) | undefined;

  constructor(init: ScopeInit) {
    super(init.kind ?? 'scope', init.name, init.parent);
    this.#linked = init.linked ?? true;
    this.#errorMode = init.errorMode ?? 'group';
    this.#abortGrace = init.abortGrace ?? DEFAULT_ABORT_GRACE;
    const parentCanceller = this.#linked
      ? (init.parent as { canceller?: Canceller } | undefined)?.canceller
      : undefined;
    this.canceller = new Canceller(parentCanceller, init.signal);
    this.#ownDeadline = init.deadline;
    this.signal.addEventListener('abort', () => this.#onAbort(), { once: true });
    this.start();
    this.#arm();
  }

  get signal(): AbortSignal {
    return this.canceller.signal;
  }

  get deadline(): number | undefined {
    const inherited = this.#linked ? this.parent?.deadline : undefined;
    if (inherited === undefined) return this.#ownDeadline;
    if (this.#ownDeadline === undefined) return inherited;
    return Math.min(inherited, this.#ownDeadline);
  }

  /** True once this scope's own deadline fired. */
  get expired(): boolean {
    return this.#expiredAt !== undefined;
  }

  spawn<T>(fn: (signal: AbortSignal) => T | PromiseLike<T>, options?: SpawnOptions): Task<T> {
    checkFunction('fn', fn);
    const name = checkName('options.name', readOptions('options', options).name);
    if (this.#closed) throw new ScopeClosedError(this.path, 'closed');
    if (this.signal.aborted) {
      throw new ScopeClosedError(this.path, 'aborting', { cause: this.signal.reason });
    }
    this.#pending++;
    return new TaskImpl('task', name, this, this, fn);
  }

  cancel(reason: unknown = new CancelledError(`Scope "${this.path}" was cancelled.`)): void {
    this.canceller.abort(reason, 'self');
  }

  reschedule(deadline: number | undefined): void {
    if (deadline !== undefined) checkNumber('deadline', deadline, -Infinity, true);
    if (this.#closed) throw new ScopeClosedError(this.path, 'closed');
    if (this.signal.aborted) {
      throw new ScopeClosedError(this.path, 'aborting', { cause: this.signal.reason });
    }
    this.#ownDeadline = deadline === Number.POSITIVE_INFINITY ? undefined : deadline;
    rearm(this);
  }

  /** @internal Called by each child once, when it settles. */
  childSettled(_task: TreeNode, outcome: TaskOutcome): void {
    if (outcome.kind === 'rejected') this.#fail(outcome.error);
    else if (outcome.kind === 'cancelled' && this.signal.aborted) this.#sawCancel = true;
    this.#pending--;
    if (this.#pending === 0) this.#idle?.resolve();
  }

  /** Runs `body` in this scope, joins every child, and exits (see {@link exit}). */
  async run<T>(body: (scope: this) => T | PromiseLike<T>): Promise<T | undefined> {
    let outcome: BodyOutcome<T> = { ok: false };
    if (this.signal.aborted) {
      // Expired or cancelled before it began (`timeout(0)`): the body never starts.
      this.#sawCancel = true;
    } else {
      try {
        outcome = { ok: true, value: await this.#enter(() => body(this)) };
      } catch (error) {
        this.#bodyRejected(error);
      }
    }
    await this.join();
    return this.exit(outcome);
  }

  /**
   * For work driven from outside `run()` (map's loop): it stopped because this scope aborted,
   * so `exit()` reports the abort as `run()` does for an interrupted body (an outside cancel
   * rejects with its reason) even when no child was running to observe it.
   */
  stoppedByAbort(): void {
    if (this.signal.aborted) this.#sawCancel = true;
  }

  /** Waits until no child is pending, then closes the scope to new children. */
  async join(): Promise<void> {
    while (this.#pending > 0) {
      this.#idle = deferred();
      await this.#idle.promise;
    }
    this.#closed = true;
    this.#disarm();
    this.#stopGraceWatch?.();
    this.canceller.unlink();
  }

  /**
   * Decides how a joined scope exits: real failures win; then a cancellation that some work
   * observed becomes a `TimeoutError` (own deadline), the parent's reason (from outside),
   * or a clean exit (self-cancel); otherwise the body's value.
   */
  exit<T>(outcome: BodyOutcome<T>): T | undefined {
    if (this.#errors.length > 0) {
      this.settle('rejected');
      const [first] = this.#errors;
      if (this.#errorMode === 'first') throw first;
      if (this.#errorMode === 'body' && this.#bodyFailed && this.#errors.length === 1) throw first;
      throw new TaskGroupError(this.path, this.#errors);
    }
    if (this.#sawCancel) {
      const origin = this.canceller.origin;
      if (origin === 'deadline') {
        this.settle('rejected');
        throw new TimeoutError(this.path, this.#expiredAt!, { cause: this.signal.reason });
      }
      if (origin === 'outside') {
        this.settle('cancelled');
        throw this.signal.reason;
      }
    }
    this.settle('fulfilled');
    return outcome.ok ? outcome.value : undefined;
  }

  #enter<T>(fn: () => T | PromiseLike<T>): Promise<T> {
    // The executor turns a synchronous throw into a rejection; the store is the body's scope.
    return new Promise<T>((resolve) => resolve(storage.run(this, fn)));
  }

  #bodyRejected(error: unknown): void {
    if (isCancellation(error, this.signal)) this.#sawCancel = true;
    else {
      this.#bodyFailed = true;
      this.#fail(error);
    }
  }

  #fail(error: unknown): void {
    this.#errors.push(error);
    this.canceller.abort(
      new CancelledError(`A task in scope "${this.path}" failed; see error.cause.`, {
        cause: error,
      }),
      'failure',
    );
  }

  #onAbort(): void {
    this.#disarm();
    if (!this.#closed) this.#stopGraceWatch = watchIgnoredAbort(this, this.#abortGrace);
  }

  /** @internal Arms the deadline timer, unless an enclosing deadline fires first or together. */
  arm(): void {
    this.#arm();
  }

  #arm(): void {
    this.#disarm();
    const own = this.#ownDeadline;
    if (own === undefined || this.#closed || this.signal.aborted) return;
    const inherited = this.#linked ? this.parent?.deadline : undefined;
    // With the same deadline only the outer scope expires (and raises), as in asyncio.
    if (inherited !== undefined && inherited <= own) return;
    const delay = own - clock().now();
    // startTimer: a deadline weeks away must not fire after 1 ms (Node's setTimeout would).
    if (delay <= 0) this.#expire(own);
    else this.#timer = startTimer(delay, () => this.#expire(own));
  }

  #disarm(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #expire(deadline: number): void {
    this.#timer = undefined;
    if (this.signal.aborted) return;
    this.#expiredAt = deadline;
    this.canceller.abort(
      new CancelledError(`The deadline of scope "${this.path}" passed.`),
      'deadline',
    );
  }
}

/** Re-evaluates the deadline timers of `node` and every scope below it. */
function rearm(node: TreeNode): void {
  if (node instanceof ScopeImpl) node.arm();
  for (const child of node.children) rearm(child);
}
