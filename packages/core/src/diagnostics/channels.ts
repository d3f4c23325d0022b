/**
 * The `node:diagnostics_channel` channels on which Tandem reports leaks and blocking.
 * Publishers check `hasSubscribers` first, so nothing is computed when nobody listens.
 *
 * @example
 * import { subscribe } from 'node:diagnostics_channel';
 * subscribe('tandem:leak', (event) => console.warn('leak', event));
 *
 * @module
 */

import diagnosticsChannel from 'node:diagnostics_channel';

/** Channel name of {@link LeakEvent}s. */
export const LEAK_CHANNEL = 'tandem:leak';
/** Channel name of {@link BlockingEvent}s. */
export const BLOCKING_CHANNEL = 'tandem:blocking';

export const leakChannel = diagnosticsChannel.channel(LEAK_CHANNEL);
export const blockingChannel = diagnosticsChannel.channel(BLOCKING_CHANNEL);

/**
 * A possible leak:
 * - `gc-pending`: a task handle was garbage-collected while its work was still pending
 *   (nothing could ever observe its result; usually a promise that never settles);
 * - `abort-ignored`: a task was still running `graceMs` after its scope aborted it;
 * - `detached`: `detach()` started a task that no scope will wait for;
 * - `detached-error`: a detached task failed and nobody awaited its result.
 */
export interface LeakEvent {
  readonly kind: 'gc-pending' | 'abort-ignored' | 'detached' | 'detached-error';
  readonly id: number;
  readonly name: string;
  readonly path: string;
  /** For `abort-ignored`: how long past the abort the task was still running. */
  readonly graceMs?: number;
  /** For `detached-error`: the failure. */
  readonly error?: unknown;
}

/** The event loop was blocked: `delay` ms late, while the listed tasks were running. */
export interface BlockingEvent {
  /** How late the detector's timer fired, in milliseconds. */
  readonly delay: number;
  /** The threshold in force. */
  readonly threshold: number;
  /** Paths of the tasks that were running (the blocking code is among them). */
  readonly tasks: readonly string[];
}

export function publishLeak(event: LeakEvent): void {
  leakChannel.publish(event);
}
