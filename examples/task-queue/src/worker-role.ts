/**
 * `--role worker`: one worker process. It takes jobs from the queue and runs them in its own
 * thread pool (cores − 1 threads), until a signal: SIGINT or SIGTERM lets the jobs it holds
 * finish (the worker's shutdown grace), a second signal drops them at once (they stall and
 * another worker picks them up). Started by `--role all` with an IPC channel, it also stops
 * when that channel closes: the demo that started it is gone, so nobody is waiting.
 *
 * @module
 */
import { startWorker } from '@tandem/bullmq';
import type { Config } from './cli-options.ts';

export async function runWorker(
  config: Config,
  redis: string,
  log: (line: string) => void,
): Promise<void> {
  const worker = await startWorker({
    tasks: new URL('./tasks.ts', import.meta.url),
    connection: redis,
    queue: config.queue,
    threads: config.threads,
    ...(config.concurrency === undefined ? {} : { concurrency: config.concurrency }),
  });
  const { threads } = worker.engine.stats().pool;
  // The one line on stdout: whoever started this process waits for it.
  process.stdout.write(
    `worker ready ${worker.id} pid=${process.pid} threads=${threads} queue=${config.queue}\n`,
  );
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (why: string) => {
      if (stopping) {
        log(`worker ${worker.id}: ${why} again: dropping the jobs it holds`);
        void worker.destroy().then(resolve, resolve);
        return;
      }
      stopping = true;
      log(`worker ${worker.id}: ${why}: finishing the jobs it holds (${why} again drops them)`);
      void worker.close().then(resolve, (error: unknown) => {
        log(`worker ${worker.id}: close failed: ${(error as Error).message}`);
        void worker.destroy().then(resolve, resolve);
      });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    // Started with an IPC channel (--role all): its closing means the parent is gone.
    if (process.send !== undefined) process.on('disconnect', () => stop('parent gone'));
  });
  log(`worker ${worker.id}: stopped`);
  // Everything is closed; the signal handlers and an IPC channel would keep the process alive.
  process.exit(0);
}
