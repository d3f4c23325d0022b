// poolifier dispatches `pool.execute(input, name)` to the function registered under that name.
import { ThreadWorker } from 'poolifier';
import { noop, spin, sum, whoami } from './task-bodies.mjs';

export default new ThreadWorker({ noop, spin, sum, whoami });
