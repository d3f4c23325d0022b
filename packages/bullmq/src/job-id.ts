/**
 * Job ids. The producer always chooses them: BullMQ's own come from an `INCR` inside the add
 * script, so an add resent after a dropped connection would make a second job; with our id a
 * resent add is a no-op (BullMQ emits `duplicated`). An id is never integer-like and never
 * holds `:` (BullMQ refuses both).
 *
 * @module
 */
import { createHash, randomUUID } from 'node:crypto';

/** What may appear as is in a keyed id. */
const PLAIN = /^[\w.-]{1,200}$/;

/** A fresh id for a job without an idempotency key: `r-<uuid>`. */
export function randomJobId(): string {
  return `r-${randomUUID()}`;
}

/**
 * The id of the job for task `name` and idempotency key `key`: `k-<task>-<key>` when both are
 * plain (letters, digits, `_`, `-`, `.`), each part otherwise replaced by its SHA-256 in
 * base64url. The same (name, key) always gives the same id, in any process.
 */
export function keyedJobId(name: string, key: string): string {
  return `k-${plain(name)}-${plain(key)}`;
}

/** Whether `id` was made by {@link keyedJobId} (such a job may outlive its producer). */
export function isKeyedJobId(id: string): boolean {
  return id.startsWith('k-');
}

function plain(text: string): string {
  return PLAIN.test(text) ? text : createHash('sha256').update(text).digest('base64url');
}
