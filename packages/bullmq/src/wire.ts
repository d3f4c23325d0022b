/**
 * The wire format of a job: what a producer puts in BullMQ's JSON and a worker reads back.
 *
 * BullMQ stores data, results and progress with `JSON.stringify`, which would turn a `Map`
 * into `{}`, a `Date` into a string and drop `undefined`. Tandem promises structured-clone
 * fidelity, so every value travels as `v8.serialize` in base64: the algorithm used between
 * threads, whose deserializer runs no code.
 *
 * @module
 */
import { deserialize, serialize } from 'node:v8';
import { type PayloadKind, PayloadTooLargeError, WireFormatError } from './errors.js';

/** The wire version, also in the queue name: a worker never sees another version's jobs. */
export const WIRE_VERSION = 1;

/** The default limit on an encoded input, result or progress value: 1 MiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

/** A job's `data`. Short keys: it is stored once per job and read by every Lua call on it. */
export interface JobData {
  /** Wire version. */
  v: typeof WIRE_VERSION;
  /** The encoded input, or the encoded array of items when `b` is set. */
  i: string;
  /** Set: a batch (`map`); the result is an encoded `BatchOutcome`. */
  b?: 1;
  /** `timeout`: ms the task may run once started. */
  t?: number;
  /** `deadline` as an epoch ms: past it the worker fails the job without running it. */
  d?: number;
  /** Set: the caller listens to progress, so the worker forwards it. */
  p?: 1;
}

/**
 * Encodes `value` (structured clone, base64). Throws what `v8.serialize` throws for values
 * structured clone refuses (a function, a symbol): callers map it to their own error.
 */
export function encode(value: unknown): string {
  return serialize(value).toString('base64');
}

/** Decodes what {@link encode} produced; `WireFormatError` on anything else. */
export function decode(text: unknown): unknown {
  if (typeof text !== 'string') throw new WireFormatError(`expected a string, got ${typeof text}`);
  try {
    return deserialize(Buffer.from(text, 'base64'));
  } catch (error) {
    throw new WireFormatError(`undecodable value: ${(error as Error).message}`);
  }
}

/** The decoded size, in bytes, of base64 text of this length. */
export function encodedBytes(text: string): number {
  return Math.floor((text.length * 3) / 4);
}

/** Throws `PayloadTooLargeError` when `text` (base64) decodes to more than `limit` bytes. */
export function checkPayload(what: PayloadKind, text: string, limit: number): void {
  const bytes = encodedBytes(text);
  if (bytes > limit) throw new PayloadTooLargeError(what, bytes, limit);
}

/** Reads a job's `data`, refusing anything that is not this wire version's shape. */
export function readJobData(data: unknown): JobData {
  if (typeof data !== 'object' || data === null) {
    throw new WireFormatError(`job data is ${data === null ? 'null' : typeof data}`);
  }
  const fields = data as Partial<JobData>;
  if (fields.v !== WIRE_VERSION) throw new WireFormatError(`wire version ${String(fields.v)}`);
  if (typeof fields.i !== 'string') throw new WireFormatError('no encoded input');
  for (const key of ['t', 'd'] as const) {
    const value = fields[key];
    if (value !== undefined && (typeof value !== 'number' || Number.isNaN(value))) {
      throw new WireFormatError(`${key} is not a number`);
    }
  }
  return fields as JobData;
}
