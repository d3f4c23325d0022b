/**
 * The dashboard line: the queue's counts as Redis has them (`queueCounts`: jobs waiting,
 * active, completed, failed; live worker processes and their threads) beside the producer's
 * own progress, redrawn while the run lasts. A failed read (Redis restarting) shows as such
 * and the next tick tries again; reads never overlap.
 *
 * @module
 */
import { queueCounts } from '@tandem/bullmq';
import type { Engine } from '@tandem/core';
import type { Output } from './output.ts';

export interface Dashboard {
  /** Stops the updates, after drawing the line one last time. */
  stop(): Promise<void>;
}

export function startDashboard(
  engine: Engine<any, any>,
  queue: string,
  output: Output,
  progress: () => string,
): Dashboard {
  let reading: Promise<void> | undefined;
  const draw = () => {
    reading ??= queueCounts(engine)
      .then(
        (c) =>
          `${queue}: waiting ${c.waiting} · active ${c.active} · completed ${c.completed} · failed ${c.failed} · workers ${c.workers} (${c.threads} threads) | ${progress()}`,
        (error: unknown) =>
          `${queue}: counts unavailable (${(error as Error).message}) | ${progress()}`,
      )
      .then((line) => output.status(line))
      .finally(() => {
        reading = undefined;
      });
  };
  draw();
  const timer = setInterval(draw, output.statusEvery);
  return {
    async stop() {
      clearInterval(timer);
      await reading;
      draw();
      await reading;
      output.keepStatus();
    },
  };
}
