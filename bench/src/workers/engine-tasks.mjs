// The engine's task module: the same bodies as every peer, declared through defineTasks.
// Plain JavaScript, loaded with an empty execArgv as every peer's worker file is: under the
// inherited `--import tsx`, tsx would also transform Tandem's own worker code (the workspace
// links it from outside node_modules), a cost no installed copy pays. Types: engine-tasks.d.mts.
import { defineTasks } from '@tandem/workers';
import { noop, spin, sum, whoami } from './task-bodies.mjs';

export default defineTasks({
  noop,
  spin,
  sum,
  whoami,
});
