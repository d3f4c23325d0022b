/**
 * `@tandem/bullmq`: the same task module on worker processes of many machines, through BullMQ
 * on Redis. Producer side: `bullmq({ connection, queue })` given to `Engine.start({ backend })`.
 * Worker side: `startWorker({ tasks, connection, queue })` or the `tandem-worker` CLI.
 *
 * @module
 */

export type { Connection } from './connection.js';
export type { PayloadKind } from './errors.js';
export {
  JobLostError,
  PayloadTooLargeError,
  RemoteFailureError,
  WireFormatError,
} from './errors.js';
export * from './producer-api.js';
export * from './worker-api.js';
