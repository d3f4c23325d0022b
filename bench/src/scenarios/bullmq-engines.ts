/**
 * The engines of the bullmq scenarios: a producer `Engine` on the BullMQ backend (typed by the
 * bench's queue task module, never loading it) and the local `Engine` it is compared with.
 *
 * @module
 */
import { bullmq } from '@tandem/bullmq';
import { Engine } from '@tandem/core';
import type { TaskBackend } from '@tandem/workers';
import type queueTasks from '../workers/queue-tasks.ts';

export type QueueEngine = Engine<typeof queueTasks, any>;

export const queueTasksUrl = new URL('../workers/queue-tasks.ts', import.meta.url);

/** A producer on `queue` of the Redis at `url`. */
export function startProducer(url: string, queue: string): Promise<QueueEngine> {
  return Engine.start<typeof queueTasks>({ backend: bullmq({ connection: url, queue }) });
}

/** The same task module on `threads` threads of this process. */
export function startLocal(threads: number): Promise<QueueEngine> {
  return Engine.start<typeof queueTasks>({ tasks: queueTasksUrl, threads });
}

/** Threads the producer believes it has (the live workers' sum, from their registry). */
export function remoteThreads(engine: QueueEngine): number {
  return (engine.pool as TaskBackend).threads;
}
