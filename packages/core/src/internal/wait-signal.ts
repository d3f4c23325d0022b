/**
 * The signal a wait obeys. An explicit `{ signal }` joins the running scope's signal instead
 * of replacing it: a request's signal passed inside a scope must not let the wait escape the
 * scope's cancel or deadline. Both apply; the first to abort gives the reason.
 *
 * @module
 */

import { linkSignals } from './link-signals.js';
import { storage } from './task-tree.js';

/** A joined signal (undefined when neither applies) and the function that unlinks it. */
export interface WaitSignal {
  readonly signal: AbortSignal | undefined;
  /** Removes the listeners the join added; call it once the wait settled. */
  readonly unlink: () => void;
}

const nothing = () => {};

/** Joins `explicit` with the signal of the running scope or task, if any. */
export function waitSignal(explicit: AbortSignal | undefined): WaitSignal {
  const ambient = storage.getStore()?.signal;
  if (ambient === undefined || ambient === explicit) return { signal: explicit, unlink: nothing };
  if (explicit === undefined) return { signal: ambient, unlink: nothing };
  return linkSignals(explicit, ambient);
}
