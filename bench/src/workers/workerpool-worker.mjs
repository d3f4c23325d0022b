// workerpool registers methods by name and calls them as `pool.exec(name, [input])`.
import workerpool from 'workerpool';
import { noop, spin, sum, whoami } from './task-bodies.mjs';

workerpool.worker({ noop, spin, sum, whoami });
