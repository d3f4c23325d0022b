/**
 * `awaitJob`: a producer restarted (or another process) awaits a keyed job again. A job made
 * with `idempotencyKey` has a deterministic id, so its result can be read for as long as the
 * job is kept (`keep`).
 *
 * @module
 */
import type { Engine } from '@tandem/core';
import {
  InvalidArgumentError,
  type TaskModule,
  type TaskResult,
  type TasksOf,
} from '@tandem/workers';
import { checkFunction, checkIdempotencyKey, checkSignal } from '@tandem/workers/internal';
import { bullmqBackendOf } from './producer.js';

/**
 * Awaits the job that `engine.run(name, input, { idempotencyKey: key })` made — in this
 * process or in an earlier one — and resolves or rejects as that run would have. If this
 * producer already waits for it, it joins that wait. Its `signal` only stops this wait (the job
 * is cancelled only if no one else here waits for it). `onProgress` receives progress only if
 * the run that added the job asked for it.
 *
 * @throws (as a rejection) JobLostError (`ERR_TANDEM_JOB_LOST`) when no such job is in Redis
 * (never added, or removed by `keep`), InvalidArgumentError when `engine` does not run on
 * `bullmq(…)` or an argument is wrong, PoolClosedError once the engine is closing, `signal.reason`.
 */
export async function awaitJob<M extends TaskModule, N extends keyof TasksOf<M> & string>(
  engine: Engine<M, any>,
  key: string,
  options: {
    name: N;
    signal?: AbortSignal | undefined;
    onProgress?: ((value: unknown) => void) | undefined;
  },
): Promise<TaskResult<TasksOf<M>[N]>> {
  const backend = bullmqBackendOf(engine);
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('Expected options to be { name, signal?, onProgress? }');
  }
  let name: unknown;
  let signal: AbortSignal | undefined;
  let onProgress: ((value: unknown) => void) | undefined;
  try {
    ({ name, signal, onProgress } = options);
  } catch (cause) {
    throw new InvalidArgumentError('Could not read options: reading it threw (see error.cause)', {
      cause,
    });
  }
  if (typeof name !== 'string') {
    throw new InvalidArgumentError(`Expected options.name to be a task name, got ${typeof name}`);
  }
  checkIdempotencyKey(key);
  if (key === undefined)
    throw new InvalidArgumentError('Expected key to be a string, got undefined');
  checkSignal('options.signal', signal);
  if (onProgress !== undefined) checkFunction('options.onProgress', onProgress);
  return (await backend.awaitKeyed(name, key, { signal, onProgress })) as TaskResult<TasksOf<M>[N]>;
}
