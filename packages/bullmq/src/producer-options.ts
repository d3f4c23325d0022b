/**
 * The options of `bullmq({ … })`, checked once at the boundary: every error names the option
 * and the value received, with a permanent code.
 *
 * @module
 */
import { InvalidArgumentError, OutOfRangeError } from '@tandem/workers';
import { checkInteger, checkNumber, checkOneOf } from '@tandem/workers/internal';
import type { RedisOptions } from 'ioredis';
import { type Connection, redisOptions } from './connection.js';
import { bullQueueName, checkName, type TandemKeys, tandemKeys } from './queue-name.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from './wire.js';

/** How a failed job is retried when `attempts > 1` (BullMQ's backoff). */
export interface BullmqBackoff {
  /** `'fixed'`: `delay` ms between attempts; `'exponential'`: `delay × 2^(attempt − 1)`. */
  type: 'fixed' | 'exponential';
  /** Ms, `>= 0`. */
  delay: number;
}

/** How long finished jobs (and so their results, and idempotency keys) stay in Redis. */
export interface BullmqKeep {
  /** Seconds a finished job is kept at least (default 3600). */
  age: number;
  /** Finished jobs kept at most, per outcome (default 100 000). */
  count: number;
}

/** Options of {@link bullmq}. */
export interface BullmqOptions {
  /** ioredis options or a `redis://` / `rediss://` URL. */
  connection: Connection;
  /** The queue's name (letters, digits, `_`, `-`, `.`); workers are started on the same one. */
  queue: string;
  /**
   * The task version (default `'1'`): jobs go to `<queue>.v<version>.w1`, so workers of another
   * version of the task module never take them.
   */
  version?: string | undefined;
  /** BullMQ's key prefix (default `'bull'`). */
  prefix?: string | undefined;
  /**
   * Runs of a job before its failure is final (default 1). Only the task's own errors and
   * crashes are retried; unknown tasks, timeouts, cancellations and oversized payloads fail at once.
   */
  attempts?: number | undefined;
  /** Delay between attempts (BullMQ's default: none). */
  backoff?: BullmqBackoff | undefined;
  /**
   * Finished jobs kept in Redis (default `{ age: 3600, count: 100000 }`): the window in which a
   * result can still be read after a lost event, and in which an `idempotencyKey` deduplicates.
   */
  keep?: BullmqKeep | undefined;
  /** Limit on an encoded input (checked here) and result or progress (checked by workers); default 1 MiB. */
  maxPayloadBytes?: number | undefined;
  /** Events kept in the queue's event stream (default 100 000); past them the producer reconciles. */
  eventsMaxLen?: number | undefined;
  /** Ms between checks that no event was trimmed before this producer read it (default 1000). */
  reconcileInterval?: number | undefined;
}

/** The options in force. */
export interface ResolvedBullmqOptions {
  readonly connection: RedisOptions;
  readonly queue: string;
  readonly version: string;
  readonly prefix: string;
  /** The BullMQ queue name: `<queue>.v<version>.w1`. */
  readonly bullQueue: string;
  readonly keys: TandemKeys;
  readonly attempts: number;
  readonly backoff: BullmqBackoff | undefined;
  readonly keep: BullmqKeep;
  readonly maxPayloadBytes: number;
  readonly eventsMaxLen: number;
  readonly reconcileInterval: number;
}

/** Redis strings hold 512 MiB; base64 grows a value by a third. */
const MAX_PAYLOAD = 256 * 1024 * 1024;
const MAX_ATTEMPTS = 1_000_000;
const MAX_COUNT = 1_000_000_000;
/** BullMQ computes `Date.now() + age × 1000`: keep it a safe integer. */
const MAX_AGE_S = 100 * 365 * 24 * 3600;

/**
 * Reads `options` once (each property exactly once, so a Proxy or a getter cannot change an
 * answer between the check and the use) and checks every value.
 *
 * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`) for a wrong type or a throwing
 * getter, OutOfRangeError (`ERR_TANDEM_OUT_OF_RANGE`) for a number out of range.
 */
export function resolveBullmqOptions(options: unknown): ResolvedBullmqOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(
      `Expected bullmq options to be an object such as { connection, queue }, got ${options === null ? 'null' : typeof options}`,
    );
  }
  const o = readOnce(options, 'options');
  const connection = readConnection(o.connection);
  const queue = checkName('options.queue', o.queue);
  const version = o.version === undefined ? '1' : checkName('options.version', o.version);
  const prefix = o.prefix === undefined ? 'bull' : checkName('options.prefix', o.prefix);
  const attempts =
    o.attempts === undefined ? 1 : atMost('options.attempts', o.attempts, 1, MAX_ATTEMPTS);
  const backoff = o.backoff === undefined ? undefined : readBackoff(o.backoff);
  const keep = o.keep === undefined ? { age: 3600, count: 100_000 } : readKeep(o.keep);
  const maxPayloadBytes =
    o.maxPayloadBytes === undefined
      ? DEFAULT_MAX_PAYLOAD_BYTES
      : atMost('options.maxPayloadBytes', o.maxPayloadBytes, 1, MAX_PAYLOAD);
  const eventsMaxLen =
    o.eventsMaxLen === undefined
      ? 100_000
      : atMost('options.eventsMaxLen', o.eventsMaxLen, 1, MAX_COUNT);
  let reconcileInterval = 1000;
  if (o.reconcileInterval !== undefined) {
    reconcileInterval = checkNumber('options.reconcileInterval', o.reconcileInterval, 10, true);
  }
  const bullQueue = bullQueueName(queue, version);
  return {
    connection,
    queue,
    version,
    prefix,
    bullQueue,
    keys: tandemKeys(prefix, bullQueue),
    attempts,
    backoff,
    keep,
    maxPayloadBytes,
    eventsMaxLen,
    reconcileInterval,
  };
}

const FIELDS = [
  'connection',
  'queue',
  'version',
  'prefix',
  'attempts',
  'backoff',
  'keep',
  'maxPayloadBytes',
  'eventsMaxLen',
  'reconcileInterval',
] as const;

function readOnce(value: object, label: string): Record<(typeof FIELDS)[number], unknown> {
  const read = {} as Record<(typeof FIELDS)[number], unknown>;
  for (const field of FIELDS) read[field] = readField(value, field, label);
  return read;
}

function readField(value: object, field: string, label: string): unknown {
  try {
    return (value as Record<string, unknown>)[field];
  } catch (cause) {
    throw new InvalidArgumentError(
      `Could not read ${label}.${field}: reading it threw (see error.cause)`,
      { cause },
    );
  }
}

/** The connection's options, copied (a Proxy whose traps throw is refused with a code). */
function readConnection(value: unknown): RedisOptions {
  try {
    return redisOptions('options.connection', value);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
    throw new InvalidArgumentError(
      'Could not read options.connection: copying it threw (see error.cause)',
      { cause: error },
    );
  }
}

/** An integer in `[min, max]`. */
function atMost(name: string, value: unknown, min: number, max: number): number {
  checkInteger(name, value, min);
  if ((value as number) > max) {
    throw new OutOfRangeError(`Expected ${name} <= ${max}, got ${value}`);
  }
  return value as number;
}

function readBackoff(value: unknown): BullmqBackoff {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgumentError(
      `Expected options.backoff to be { type: 'fixed' | 'exponential', delay }, got ${value === null ? 'null' : typeof value}`,
    );
  }
  const type = readField(value, 'type', 'options.backoff');
  const delay = readField(value, 'delay', 'options.backoff');
  if (type === undefined) {
    throw new InvalidArgumentError(`Expected options.backoff.type to be 'fixed' or 'exponential'`);
  }
  checkOneOf('options.backoff.type', type, ['fixed', 'exponential']);
  const ms = atMost('options.backoff.delay', delay, 0, 2 ** 31 - 1);
  return { type: type as BullmqBackoff['type'], delay: ms };
}

function readKeep(value: unknown): BullmqKeep {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgumentError(
      `Expected options.keep to be { age: seconds, count }, got ${value === null ? 'null' : typeof value}`,
    );
  }
  const age = readField(value, 'age', 'options.keep');
  const count = readField(value, 'count', 'options.keep');
  return {
    age: atMost('options.keep.age', age, 0, MAX_AGE_S),
    count: atMost('options.keep.count', count, 0, MAX_COUNT),
  };
}
