// The engine's task module: the same bodies as every peer, declared through defineTasks so
// `engine.run('spin', …)` is typed. Workers load it by URL under the inherited `--import tsx`.
import { defineTasks } from '@tandem/workers';
import { noop, spin, sum, whoami } from './task-bodies.mjs';

export default defineTasks({
  noop(x: number): number {
    return noop(x);
  },
  spin(us: number): number {
    return spin(us);
  },
  sum(bytes: Uint8Array): number {
    return sum(bytes);
  },
  whoami(us: number): number {
    return whoami(us);
  },
});
