// The floor: a bare worker_threads port. One message in, one message out, no queue, no codec.
import { parentPort } from 'node:worker_threads';
import { noop, spin, sum, whoami } from './task-bodies.mjs';

const bodies = { noop, spin, sum, whoami };

// `batch: true` carries an array of inputs in one message: the floor for batching, with
// nothing a real `map` must do (ordering across messages, cancellation, backpressure).
parentPort.on('message', ({ id, name, input, batch }) => {
  const body = bodies[name];
  parentPort.postMessage({ id, result: batch ? input.map((x) => body(x)) : body(input) });
});
