/**
 * The producer side of `@tandem/bullmq`: `bullmq({ connection, queue })` given to
 * `Engine.start({ backend })`, `awaitJob` to await a keyed job again after a restart, and
 * `queueCounts` for a dashboard line.
 *
 * @module
 */
import type { BackendFactory, BackendStartContext, TaskModule } from '@tandem/workers';
import { BullmqBackend } from './producer.js';
import { type BullmqOptions, resolveBullmqOptions } from './producer-options.js';

export { awaitJob } from './await-job.js';
export type { BullmqBackend, QueueCounts } from './producer.js';
export type { BullmqBackoff, BullmqKeep, BullmqOptions } from './producer-options.js';
export { queueCounts } from './queue-counts.js';

/**
 * A backend that runs an Engine's tasks on `tandem-worker` processes through BullMQ 6 on Redis.
 * `engine.run`, `map` (one job per batch), scopes and pipelines work unchanged; results,
 * errors (class, `code`, `cause`), cancellation, `timeout`, `deadline` and progress behave as
 * with local threads. Options are read and checked here, once; nothing connects until
 * `Engine.start` starts the backend (bounded by its `startTimeout` and `signal`; its `maxQueue`
 * — default 10 000 jobs waited for at once — and `onFull` apply per producer).
 *
 * Type the engine by the task module without importing it: `import type tasks from './tasks.js'`.
 *
 * @example
 * import type tasks from './tasks.js';
 * const engine = await Engine.start({
 *   backend: bullmq<typeof tasks>({ connection: 'redis://127.0.0.1:6379', queue: 'tandem' }),
 * });
 * const n = await engine.run('wordCount', text, { deadline: 5_000 });
 *
 * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`), OutOfRangeError
 * (`ERR_TANDEM_OUT_OF_RANGE`) for bad options, at once.
 */
export function bullmq<M extends TaskModule = TaskModule>(
  options: BullmqOptions,
): BackendFactory<M> {
  const resolved = resolveBullmqOptions(options);
  return Object.freeze({
    kind: 'bullmq',
    start: (context: BackendStartContext) => BullmqBackend.start(resolved, context),
  });
}
