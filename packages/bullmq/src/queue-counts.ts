/**
 * `queueCounts`: one line for a dashboard — the queue's jobs by state (all producers) and the
 * live workers with their threads.
 *
 * @module
 */
import type { Engine } from '@tandem/core';
import { InvalidArgumentError } from '@tandem/workers';
import { BullmqBackend, type QueueCounts } from './producer.js';

/**
 * Counts of the queue the engine's backend adds to, read from Redis now.
 *
 * @example
 * const { waiting, active, workers, threads } = await queueCounts(engine);
 *
 * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`) when `engine` does not run on
 * `bullmq(…)`; a Redis error when Redis cannot be reached.
 */
export async function queueCounts(engine: Engine<any, any>): Promise<QueueCounts> {
  const backend = (engine as { pool?: unknown } | null)?.pool;
  if (!(backend instanceof BullmqBackend)) {
    throw new InvalidArgumentError('Expected an engine started with { backend: bullmq(…) }');
  }
  return backend.queueCounts();
}
