/**
 * `@tandem/workers/internal`: what `@tandem/core` (and the tests) need of the worker side that
 * users should not call. Not covered by semver.
 *
 * @module
 */

export { mockTimersClock, setClock, systemClock } from './clock.js';
export { AbortFanout } from './internal/abort-fanout.js';
export type { Deferred } from './internal/deferred.js';
export { deferred } from './internal/deferred.js';
export { autoBatchSize, mapBatched } from './map-batched.js';
export type { LatencySummary } from './pool-stats.js';
export { summarize } from './pool-stats.js';
export type { Timer } from './timer.js';
export { MAX_TIMER_MS, startTimer } from './timer.js';
export { inspectValue } from './transfer.js';
export {
  checkDuration,
  checkFunction,
  checkFunctions,
  checkIdempotencyKey,
  checkInteger,
  checkNumber,
  checkOneOf,
  checkSignal,
} from './validate.js';
