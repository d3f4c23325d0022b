// For piscina and tinypool, which call a named export of the worker module (`run(x, { name })`).
export { noop, spin, sum, whoami } from './task-bodies.mjs';
