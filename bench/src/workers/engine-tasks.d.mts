// Types for engine-tasks.mjs, so that `engine.run('spin', …)` is checked on the TypeScript side.
import type { TaskModule } from '@tandem/workers';

declare const tasks: TaskModule<{
  noop(x: number): number;
  spin(us: number): number;
  sum(bytes: Uint8Array): number;
  whoami(us: number): number;
}>;
export default tasks;
