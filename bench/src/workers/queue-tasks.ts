// The task module of the bullmq scenario: the same bodies as every peer (noop, spin), plus
// `hold`, which a kill -9 measurement parks on a worker process until a gate file exists.
// Loaded by the worker processes (`tandem-worker --tasks`) and by the local engine compared
// with them; the producer only imports its type.
import { existsSync } from 'node:fs';
import { defineTasks } from '@tandem/workers';
import { noop, spin } from './task-bodies.mjs';

export default defineTasks({
  noop(x: number): number {
    return noop(x);
  },
  spin(us: number): number {
    return spin(us);
  },
  /**
   * Says which process runs it (progress), then waits, on the clock in 5 ms slices, until
   * `gate` exists; returns the pid. A re-run after the gate opened passes at once.
   */
  hold(gate: string, ctx): number {
    ctx.progress(process.pid);
    while (!existsSync(gate)) {
      ctx.checkpoint();
      spin(5_000);
    }
    return process.pid;
  },
});
