/**
 * Errors thrown in a worker that no running task owns: a throw from a timer, or an unhandled
 * rejection, left behind by a task that had already returned. They fail no task (the task
 * that left them is gone, the one running now is innocent); they are counted in
 * `stats().strayErrors`, published here, and the worker is retired once it is empty.
 *
 * @example
 * import { subscribe } from 'node:diagnostics_channel';
 * subscribe('tandem:stray-error', (event) => console.warn('stray error in a worker', event.error));
 *
 * @module
 */
import diagnosticsChannel from 'node:diagnostics_channel';

/** Channel name of {@link StrayErrorEvent}s. */
export const STRAY_ERROR_CHANNEL = 'tandem:stray-error';

/** What is published on {@link STRAY_ERROR_CHANNEL}. */
export interface StrayErrorEvent {
  /** The error, rebuilt on the loop (class, code and props kept as for task errors). */
  readonly error: unknown;
  /** The worker it happened in (retired once it holds no task). */
  readonly threadId: number;
}

export const strayErrorChannel = diagnosticsChannel.channel(STRAY_ERROR_CHANNEL);
