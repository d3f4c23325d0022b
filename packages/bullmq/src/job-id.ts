/**
 * Job ids. The producer always chooses them: BullMQ's own come from an `INCR` inside the add
 * script, so an add resent after a dropped connection would make a second job; with our id a
 * resent add is a no-op (BullMQ emits `duplicated`). An id is never integer-like and never
 * holds `:` (BullMQ refuses both).
 *
 * @module
 */
import { createHash, randomUUID } from 'node:crypto';
import { InvalidArgumentError } from '@tandem/workers';

/** A lone UTF-16 surrogate: UTF-8 turns every one into U+FFFD, so two such keys would share a hash. */
const LONE_SURROGATE = /\p{Surrogate}/u;

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
 *
 * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`) for a key that is not well-formed
 * Unicode (a lone surrogate): it has no UTF-8 form, so it would name another key's job.
 */
export function keyedJobId(name: string, key: string): string {
  if (LONE_SURROGATE.test(key)) {
    throw new InvalidArgumentError(
      'Expected the idempotency key to be well-formed Unicode, got a lone surrogate (a string cut in the middle of a character?)',
    );
  }
  return `k-${plain(name)}-${plain(key)}`;
}

function plain(text: string): string {
  return PLAIN.test(text) ? text : createHash('sha256').update(text).digest('base64url');
}
