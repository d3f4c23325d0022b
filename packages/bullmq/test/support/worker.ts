// An in-process worker (startWorker) on the shared task module, closed when the test ends.
import { startWorker } from '../../src/worker.ts';
import type { TandemWorker, WorkerOptions } from '../../src/worker-api.ts';
import { TASKS } from '../fixtures/worker-process.ts';

export async function testWorker(
  defer: (fn: () => unknown) => void,
  redisUrl: string,
  queue: string,
  options: Partial<WorkerOptions> = {},
): Promise<TandemWorker> {
  const worker = await startWorker({
    tasks: TASKS,
    connection: redisUrl,
    queue,
    threads: 1,
    ...options,
  });
  defer(() => worker.destroy());
  return worker;
}
