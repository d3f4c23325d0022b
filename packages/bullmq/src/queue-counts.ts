/**
 * `queueCounts`: one line for a dashboard — the queue's jobs by state (all producers) and the
 * live workers with their threads.
 *
 * @module
 */
import type { Engine } from '@tandem/core';
import { bullmqBackendOf, type QueueCounts } from './producer.js';

/**
 * Counts of the queue the engine's backend adds to, read from Redis now.
 *
 * @example
 * const { waiting, active, workers, threads } = await queueCounts(engine);
 *
 * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`) when `engine` does not run on
 * `bullmq(…)`, PoolClosedError (`ERR_TANDEM_POOL_CLOSED`) once the engine is closing; a Redis
 * error when Redis cannot be reached.
 */
export async function queueCounts(engine: Engine<any, any>): Promise<QueueCounts> {
  return bullmqBackendOf(engine).queueCounts();
}
