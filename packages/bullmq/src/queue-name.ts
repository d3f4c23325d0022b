/**
 * Names in Redis. The BullMQ queue carries the task version and the wire version, so a worker
 * started for version 1 never takes a job of version 2, and an old worker never reads a new
 * wire format. Tandem's own keys sit beside BullMQ's under the same prefix.
 *
 * @module
 */
import { InvalidArgumentError } from '@tandem/workers';
import { WIRE_VERSION } from './wire.js';

/** Queue names and versions: letters, digits, `_`, `-` and `.` (BullMQ refuses `:`). */
const NAME = /^[\w.-]{1,100}$/;

/** Checks a queue or version name given by the user. */
export function checkName(label: string, value: unknown): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new InvalidArgumentError(
      `Expected ${label} to be 1–100 letters, digits, "_", "-" or "." (no ":"), got ${typeof value === 'string' ? JSON.stringify(value) : typeof value}`,
    );
  }
  return value;
}

/** The BullMQ queue for `queue` at task version `version`. */
export function bullQueueName(queue: string, version: string): string {
  return `${queue}.v${version}.w${WIRE_VERSION}`;
}

/** Redis names Tandem adds next to a BullMQ queue's keys. */
export interface TandemKeys {
  /** Pub/sub channel on which producers announce cancelled running jobs. */
  cancelChannel: string;
  /** Prefix of the per-job cancel flags (`<cancelKey><jobId>`), read by workers that pick a job up late. */
  cancelKey: string;
  /** Hash: worker id → JSON `{ names, threads, host, pid }`. */
  workers: string;
  /** Sorted set: worker id, scored by the time its registration expires. */
  alive: string;
}

export function tandemKeys(prefix: string, bullQueue: string): TandemKeys {
  const base = `${prefix}:${bullQueue}:tandem`;
  return {
    cancelChannel: `${base}:cancel`,
    cancelKey: `${base}:cancel:`,
    workers: `${base}:workers`,
    alive: `${base}:alive`,
  };
}
