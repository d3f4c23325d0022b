/**
 * The errors only a queue backend raises. Each is a `TandemError` with a permanent `code`,
 * registered with the codec so that one thrown by a worker process arrives as its own class.
 *
 * @module
 */
import { registerError, TandemError } from '@tandem/workers';

/** What a payload limit applies to. */
export type PayloadKind = 'input' | 'result' | 'progress';

/** An input, result or progress value larger, encoded, than `maxPayloadBytes`. */
export class PayloadTooLargeError extends TandemError {
  override readonly code = 'ERR_TANDEM_PAYLOAD_TOO_LARGE' as const;
  readonly bytes: number;
  readonly limit: number;
  readonly what: PayloadKind;
  constructor(what: PayloadKind, bytes: number, limit: number) {
    super(
      `The ${what} is ${bytes} bytes encoded, over the queue's limit of ${limit}. Pass a reference instead (a URL, an object-store key, a shared path), or raise maxPayloadBytes on the producer and on every tandem-worker.`,
    );
    this.bytes = bytes;
    this.limit = limit;
    this.what = what;
  }
}

/**
 * A job this process was waiting for no longer exists in Redis: removed by someone else, or
 * evicted by the backend's `keep` policy before its result was read.
 */
export class JobLostError extends TandemError {
  override readonly code = 'ERR_TANDEM_JOB_LOST' as const;
  readonly jobId: string;
  constructor(jobId: string, detail: string) {
    super(
      `Job ${jobId} is gone from Redis (${detail}). Its result cannot be read: run it again, and keep finished jobs longer (bullmq({ keep })) if results are read late.`,
    );
    this.jobId = jobId;
  }
}

/** A job whose data this version cannot read (another wire version, or corrupt data). */
export class WireFormatError extends TandemError {
  override readonly code = 'ERR_TANDEM_WIRE_FORMAT' as const;
  constructor(detail: string) {
    super(
      `The job's data is not in a format this process reads (${detail}). Run producers and workers of the same @tandem/bullmq version and Node major, on their own queue version.`,
    );
  }
}

/** A job failed with a reason that did not come from a Tandem worker (another client, or BullMQ itself). */
export class RemoteFailureError extends TandemError {
  override readonly code = 'ERR_TANDEM_REMOTE_FAILURE' as const;
  readonly jobId: string;
  readonly reason: string;
  constructor(jobId: string, reason: string) {
    super(
      `Job ${jobId} failed in BullMQ: ${reason}. It was not failed by a Tandem worker; look at the job in Redis for its stack trace.`,
    );
    this.jobId = jobId;
    this.reason = reason;
  }
}

// A worker process sends these as codec data; the producer rebuilds them by code.
registerError('ERR_TANDEM_PAYLOAD_TOO_LARGE', PayloadTooLargeError);
registerError('ERR_TANDEM_JOB_LOST', JobLostError);
registerError('ERR_TANDEM_WIRE_FORMAT', WireFormatError);
registerError('ERR_TANDEM_REMOTE_FAILURE', RemoteFailureError);
