/**
 * The errors of Tandem's structured concurrency (scopes, deadlines, combinators, limiter,
 * retry, channel). Like every Tandem error they carry a permanent `code`: match on
 * `error.code`, never on the message.
 *
 * @module
 */

import { TandemError } from '@tandem/workers';

const kTandemError = Symbol.for('tandem.error');
const kTaskGroupError = Symbol.for('tandem.task-group-error');
const kCancelledError = Symbol.for('tandem.cancelled-error');

/**
 * The base of Tandem's errors that hold several others (`errors`): an `AggregateError` that
 * carries the same brand as `TandemError`, so `TandemError.isTandemError()` is true for it
 * (also across copies of the package). `instanceof TandemError` is false: match on `code`.
 */
export abstract class TandemAggregateError extends AggregateError {
  abstract readonly code: `ERR_TANDEM_${string}`;

  constructor(errors: Iterable<unknown>, message: string, options?: ErrorOptions) {
    super(errors, message, options);
    // `name` is an own property so that it survives structured clone and `util.inspect`.
    Object.defineProperty(this, 'name', {
      value: new.target.name,
      configurable: true,
      writable: true,
    });
  }

  get [kTandemError](): true {
    return true;
  }
}

/**
 * The reason a scope gives its children when it cancels them: a sibling failed
 * (`cause` is that failure), its deadline passed, or someone called `cancel()` without a
 * reason. Work that sees it should stop and let it propagate; scopes never report it as a
 * failure.
 */
export class CancelledError extends TandemError {
  override readonly code = 'ERR_TANDEM_CANCELLED' as const;
  constructor(
    message = 'The scope was cancelled; stop and let this error propagate.',
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** True for a `CancelledError` made by any copy of this package. */
  static isCancelledError(value: unknown): value is CancelledError {
    return typeof value === 'object' && value !== null && kCancelledError in value;
  }

  get [kCancelledError](): true {
    return true;
  }
}

/**
 * A scope's deadline passed before its work finished. Raised only by the scope whose
 * deadline expired (enclosing scopes see it as an ordinary error); `cause` is the
 * cancellation the scope delivered to its children.
 */
export class TimeoutError extends TandemError {
  override readonly code = 'ERR_TANDEM_TIMEOUT' as const;
  /** The path of the scope that expired. */
  readonly scope: string;
  /** The deadline that passed, in `clock().now()` milliseconds. */
  readonly deadline: number;
  constructor(scope: string, deadline: number, options?: ErrorOptions) {
    super(
      `Scope "${scope}" did not finish before its deadline. Give it more time, or catch this error (or use moveOnAfter) to carry on without the result.`,
      options,
    );
    this.scope = scope;
    this.deadline = deadline;
  }
}

/**
 * Every real failure of a scope's children and body (cancellations are never included).
 * Nested scopes nest their groups. Match on `code === 'ERR_TANDEM_TASK_GROUP'` and read
 * `errors`.
 */
export class TaskGroupError extends TandemAggregateError {
  override readonly code = 'ERR_TANDEM_TASK_GROUP' as const;
  /** The path of the scope that failed. */
  readonly scope: string;
  constructor(scope: string, errors: readonly unknown[]) {
    super(
      errors,
      `${errors.length} task(s) failed in scope "${scope}"; see error.errors for each failure.`,
    );
    this.scope = scope;
  }

  /** True for a `TaskGroupError` made by any copy of this package. */
  static isTaskGroupError(value: unknown): value is TaskGroupError {
    return typeof value === 'object' && value !== null && kTaskGroupError in value;
  }

  get [kTaskGroupError](): true {
    return true;
  }
}

/**
 * Every function given to `any()` failed (or none was given). `errors` holds their errors in
 * input order, like `Promise.any`'s `AggregateError`, which this is.
 */
export class AllFailedError extends TandemAggregateError {
  override readonly code = 'ERR_TANDEM_ALL_FAILED' as const;
  constructor(errors: readonly unknown[]) {
    super(
      errors,
      errors.length === 0
        ? 'any() was given no functions, so none could succeed. Pass at least one.'
        : `All ${errors.length} function(s) failed; see error.errors, in input order.`,
    );
  }
}

/** `spawn()` (or `reschedule()`) on a scope that is aborting or has closed; the work was not started. */
export class ScopeClosedError extends TandemError {
  override readonly code = 'ERR_TANDEM_SCOPE_CLOSED' as const;
  readonly scope: string;
  readonly state: 'aborting' | 'closed';
  constructor(scope: string, state: 'aborting' | 'closed', options?: ErrorOptions) {
    super(
      state === 'closed'
        ? `Scope "${scope}" has closed; it takes no new tasks. Spawn into a scope that is still open.`
        : `Scope "${scope}" is aborting (see error.cause); it takes no new tasks. Let the scope unwind, then start a new one.`,
      options,
    );
    this.scope = scope;
    this.state = state;
  }
}

/** `retry()` ran out of attempts; `errors` holds every attempt's error, `cause` the last one. */
export class RetryError extends TandemError {
  override readonly code = 'ERR_TANDEM_RETRY_EXHAUSTED' as const;
  /** Every attempt's error, in order. */
  readonly errors: readonly unknown[];
  constructor(errors: readonly unknown[]) {
    super(
      `All ${errors.length} attempt(s) failed; see error.errors for each one and error.cause for the last. Raise options.attempts or fix the cause.`,
      { cause: errors.at(-1) },
    );
    this.errors = errors;
  }
}

/** A `send()` or `receive()` on a channel that was closed or shut down. */
export class ChannelClosedError extends TandemError {
  override readonly code = 'ERR_TANDEM_CHANNEL_CLOSED' as const;
  constructor(operation: 'send' | 'receive') {
    super(
      operation === 'send'
        ? 'Cannot send: the channel is closed. Stop producing once you close or shut down a channel.'
        : 'Cannot receive: the channel is closed and drained. Stop consuming, or use for await…of, which ends cleanly.',
    );
  }
}

/** One attempt of an item in a pipeline stage, as kept for `PipelineItemError` and dead letters. */
export interface PipelineAttempt {
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** How long it ran, in ms. */
  readonly ms: number;
  /** What it failed with. */
  readonly error: unknown;
}

/**
 * An item failed in a pipeline whose `onError` said `'fail'`: the pipeline stopped and rejects
 * with this. `cause` is the item's own error (the last attempt's, after retries), `item` the
 * value that entered the failing stage, `stage` that stage's name, `attempts` every attempt.
 */
export class PipelineItemError extends TandemError {
  override readonly code = 'ERR_TANDEM_PIPELINE_ITEM_FAILED' as const;
  readonly stage: string;
  readonly item: unknown;
  readonly attempts: readonly PipelineAttempt[];
  constructor(stage: string, item: unknown, attempts: readonly PipelineAttempt[], cause: unknown) {
    super(
      `An item failed in pipeline stage '${stage}' and onError is 'fail'; see error.cause and error.item. Use onError: 'skip' or { deadLetter } to go on past failing items.`,
      { cause },
    );
    this.stage = stage;
    this.item = item;
    this.attempts = attempts;
  }
}

/** A pipeline that already ran, or was extended by another stage, was used again. */
export class PipelineUsedError extends TandemError {
  override readonly code = 'ERR_TANDEM_PIPELINE_USED' as const;
  constructor(what: string) {
    super(
      `This pipeline was already ${what}; a pipeline runs once and each stage method returns a new one. Build another with engine.pipeline().`,
    );
  }
}

/**
 * A checkpoint journal does not match what it describes: its output files are missing or
 * shorter than it records, it is not a journal, or it was written for other output paths.
 */
export class CheckpointError extends TandemError {
  override readonly code = 'ERR_TANDEM_CHECKPOINT_MISMATCH' as const;
  readonly path: string;
  constructor(path: string, problem: string, options?: ErrorOptions) {
    super(
      `Checkpoint ${path}: ${problem}. Resume with the same output paths, or delete the journal (and its .part files) to start over.`,
      options,
    );
    this.path = path;
  }
}
