/**
 * Parent → child cancellation without `AbortSignal.any`, which keeps every input signal's
 * listeners alive as long as the longest-lived one (nodejs/node #55351). A parent holds its
 * children in a plain set and aborts them itself; a child leaves the set when it settles.
 *
 * @module
 */

import { CancelledError } from '../errors.js';

/** Who aborted a canceller first: itself, or something above it. */
export type CancelOrigin = 'self' | 'deadline' | 'failure' | 'outside';

export class Canceller {
  readonly #controller = new AbortController();
  readonly #children = new Set<Canceller>();
  #parent: Canceller | undefined;
  #external: { signal: AbortSignal; listener: () => void } | undefined;
  #origin: CancelOrigin | undefined;

  /** Links to `parent` and, optionally, to a foreign signal (with a listener removed on `unlink`). */
  constructor(parent?: Canceller, external?: AbortSignal) {
    if (parent) {
      if (parent.signal.aborted) this.abort(parent.signal.reason, 'outside');
      else {
        this.#parent = parent;
        parent.#children.add(this);
      }
    }
    if (external && !this.signal.aborted) {
      if (external.aborted) this.abort(external.reason, 'outside');
      else {
        const listener = () => this.abort(external.reason, 'outside');
        external.addEventListener('abort', listener, { once: true });
        this.#external = { signal: external, listener };
      }
    }
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** How the abort started, or undefined while not aborted. */
  get origin(): CancelOrigin | undefined {
    return this.#origin;
  }

  /** Aborts this canceller and all its descendants; the first call wins. */
  abort(reason: unknown = new CancelledError(), origin: CancelOrigin = 'self'): void {
    if (this.#controller.signal.aborted) return;
    this.#origin = origin;
    this.#controller.abort(reason);
    // Children first learn of the abort through their own signal; copy because they unlink.
    for (const child of [...this.#children]) child.abort(reason, 'outside');
    this.unlink();
  }

  /** Detaches from the parent and the foreign signal so neither keeps this alive. */
  unlink(): void {
    if (this.#parent) this.#parent.#children.delete(this);
    this.#parent = undefined;
    if (this.#external) {
      this.#external.signal.removeEventListener('abort', this.#external.listener);
      this.#external = undefined;
    }
  }

  /** How many children are linked (for leak tests). */
  get linkedChildren(): number {
    return this.#children.size;
  }
}

/**
 * Whether `error` is the cancellation delivered through `signal` rather than a failure:
 * the signal is aborted and the error is its reason, a `CancelledError`, a DOM
 * `AbortError`, or something caused by the reason.
 */
export function isCancellation(error: unknown, signal: AbortSignal): boolean {
  if (!signal.aborted) return false;
  if (error === signal.reason || CancelledError.isCancelledError(error)) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { name, cause } = error as { name?: unknown; cause?: unknown };
  return name === 'AbortError' || (cause !== undefined && cause === signal.reason);
}
