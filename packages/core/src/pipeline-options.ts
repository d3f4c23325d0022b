/**
 * The options of `engine.pipeline()` and of its stages, with their checks. Every option is
 * read once, at the call that takes it, so a bad one fails where it was written.
 *
 * @module
 */
import { InvalidArgumentError } from '@tandem/workers';
import {
  checkDuration,
  checkFunction,
  checkInteger,
  checkNumber,
  checkOneOf,
  checkSignal,
} from '@tandem/workers/internal';
import type { LoopDelay } from './diagnostics/loop-delay.js';
import { readOptions, readValue } from './internal/read-options.js';
import type { Limiter } from './limiter.js';
import { checkRetryOptions, type RetryOptions } from './retry.js';

/** What to do with an item that failed: stop everything, or count it and go on. */
export type ErrorAction = 'fail' | 'skip';

/** Where and how a failure happened, given to `onError` deciders. */
export interface StageInfo {
  /** The stage's name (its `name` option, or its kind and position: `io#1`). */
  readonly name: string;
  readonly kind: StageKind;
}

export type StageKind =
  | 'source'
  | 'io'
  | 'cpu'
  | 'map'
  | 'filter'
  | 'flatMap'
  | 'tap'
  | 'batch'
  | 'sink';

/**
 * The failure policy. A decider's throw, or an answer that is none of the choices, fails the
 * run with `CallbackError` (`ERR_TANDEM_CALLBACK_FAILED`).
 */
export type OnError =
  | ErrorAction
  | ((error: unknown, item: unknown, stage: StageInfo) => ErrorAction)
  | {
      /**
       * NDJSON file of the failed items, one `{ item, stage, attempts, error }` per line
       * (`error` and each attempt's error as `{ name, code, message, cause, … }`). Written
       * like the output: to `<path>.part`, renamed once the run completes.
       */
      readonly deadLetter: string;
      /** Chooses per failure; default: every failure is dead-lettered. */
      readonly decide?:
        | ((error: unknown, item: unknown, stage: StageInfo) => ErrorAction | 'deadLetter')
        | undefined;
    };

/** Options of {@link PipelineOptions.checkpoint}. */
export interface CheckpointOptions<T> {
  /** The journal file. Its folder must exist. */
  readonly path: string;
  /** The identity of a source item (a URL, a file name): a string, unique within the source. */
  readonly key: (item: T) => string;
  /** Ms between journal commits (each an fsync of the output, then of the journal). Default 1000. */
  readonly every?: number | undefined;
}

/** What `onProgress` gets. Counts are of source items unless said otherwise. */
export interface PipelineProgress {
  /** Source items finished with every part written (or filtered out). */
  readonly done: number;
  /** Source items with a part that failed (skipped or dead-lettered). */
  readonly failed: number;
  /** Attempts beyond the first, over all io stages. */
  readonly retried: number;
  /** Source items skipped because the checkpoint journal had them finished. */
  readonly resumed: number;
  /** Source items read and not yet finished. */
  readonly inFlight: number;
  /** `options.total`, or the source's `length`/`size` when it has one. */
  readonly total: number | undefined;
  /** Finished items (done + failed) per second, over the run so far. */
  readonly rate: number;
  /** Ms until `total` at `rate`; undefined without a total or before the first item. */
  readonly eta: number | undefined;
  /** Ms since the run started. */
  readonly elapsed: number;
  /** Event-loop delay during the run so far. */
  readonly loop: LoopDelay;
}

/** Options of `engine.pipeline(source, options)`. */
export interface PipelineOptions<T> {
  /** Shown in `tasks()`. Default `pipeline`. */
  readonly name?: string | undefined;
  /**
   * Keep input order through every concurrent stage (a slow item holds back the ones after
   * it, within the buffers). Default false: completion order.
   */
  readonly ordered?: boolean | undefined;
  /**
   * Items a concurrent stage may hold finished and not yet taken downstream, and the most a
   * sync source is read ahead by. An integer >= 1; default 64.
   */
  readonly buffer?: number | undefined;
  /** Failure policy; default `'fail'`. */
  readonly onError?: OnError | undefined;
  /**
   * Journal finished items so that the same call, run again after a crash, `kill -9` or
   * Ctrl-C, skips them. See the pipeline guide for the guarantees.
   */
  readonly checkpoint?: CheckpointOptions<T> | undefined;
  /** The number of source items, for `eta` and the bar. */
  readonly total?: number | undefined;
  /**
   * Called every `progressInterval` ms and once at the end (not awaited). A throw fails the
   * run (`ERR_TANDEM_CALLBACK_FAILED`); so does the rejection of a promise it returns while the
   * run is still under way (the last call's comes too late to change the outcome).
   */
  readonly onProgress?: ((progress: PipelineProgress) => void) | undefined;
  /** Ms between progress calls. Default 200. */
  readonly progressInterval?: number | undefined;
  /** Draw a progress bar on stderr (only when stderr is a TTY). Default false. */
  readonly progressBar?: boolean | undefined;
  /**
   * Cancels the run: in-flight items are abandoned, finished ones journaled, and the run
   * rejects with `signal.reason`. (An engine shutdown instead drains: see the guide.)
   */
  readonly signal?: AbortSignal | undefined;
}

/** What an io stage's function gets besides the item. */
export interface IoContext {
  /** Aborts when the attempt times out or the run is cancelled. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt. */
  readonly attempt: number;
}

/** Options of `.io()`. */
export interface IoStageOptions<T> {
  readonly name?: string | undefined;
  /** Items in flight at once. Default 8. */
  readonly concurrency?: number | undefined;
  /** Ms per attempt (its signal aborts, the attempt fails with `ERR_TANDEM_TIMEOUT`). Default none. */
  readonly timeout?: number | undefined;
  /**
   * Retry failed attempts (core `retry()`'s options, less `signal`). Unless given,
   * `retryAfter` reads a numeric `retryAfter` (ms) property of the error, such as one parsed
   * from an HTTP `Retry-After`. Default: one attempt.
   */
  readonly retry?: Omit<RetryOptions, 'signal'> | undefined;
  /** Each attempt holds a permit of this limiter (per `key`), and reports its outcome to it. */
  readonly limiter?: Limiter | undefined;
  /** The limiter key of an item (a host name). Default `''`. */
  readonly key?: ((item: T) => string) | undefined;
}

/** Options of `.cpu()`. */
export interface CpuStageOptions {
  readonly name?: string | undefined;
  /**
   * Items per message to a worker at most: an integer >= 1, or `'auto'` (default), sized from
   * the measured time per item to about 2 ms of work, between 1 and 512. Items are never held
   * back to fill a message: a free slot takes whatever is waiting.
   */
  readonly batch?: number | 'auto' | undefined;
  /** Messages in flight at once. Default: twice the pool's threads. */
  readonly concurrency?: number | undefined;
}

/** Options of `.map()`, `.filter()`, `.flatMap()`, `.tap()`. */
export interface LoopStageOptions {
  readonly name?: string | undefined;
  /** Items whose (async) function runs at once. Default 1. */
  readonly concurrency?: number | undefined;
}

/** Options of `.toFile()`. */
export interface ToFileOptions {
  /** Only `'ndjson'` (one JSON value per line). Default `'ndjson'`. */
  readonly format?: 'ndjson' | undefined;
  /**
   * A JSON schema of one row: rows are then serialized by fast-json-stringify (faster, and
   * only the schema's properties are written). Without one, `JSON.stringify`.
   */
  readonly schema?: object | undefined;
}

export function checkPipelineOptions<T>(input: PipelineOptions<T> | undefined) {
  const o = readOptions('options', input);
  const name = o.name ?? 'pipeline';
  if (typeof name !== 'string') {
    throw new InvalidArgumentError(`Expected options.name to be a string, got ${typeof name}`);
  }
  checkBoolean('options.ordered', o.ordered);
  checkBoolean('options.progressBar', o.progressBar);
  const buffer = checkInteger('options.buffer', o.buffer ?? 64, 1);
  if (o.total !== undefined) checkInteger('options.total', o.total, 0);
  if (o.onProgress !== undefined) checkFunction('options.onProgress', o.onProgress);
  const progressInterval = checkNumber('options.progressInterval', o.progressInterval ?? 200, 1);
  checkSignal('options.signal', o.signal);
  return {
    name,
    ordered: o.ordered ?? false,
    buffer,
    onError: checkOnError(o.onError),
    checkpoint: checkCheckpoint(o.checkpoint),
    total: o.total,
    onProgress: o.onProgress,
    progressInterval,
    progressBar: o.progressBar ?? false,
    signal: o.signal,
  };
}

export type CheckedPipelineOptions<T> = ReturnType<typeof checkPipelineOptions<T>>;

function checkOnError(input: unknown) {
  if (input === undefined || input === 'fail' || input === 'skip') {
    return { decide: undefined, action: input ?? 'fail', deadLetter: undefined } as const;
  }
  if (typeof input === 'function') {
    return {
      decide: input as (e: unknown, i: unknown, s: StageInfo) => unknown,
      action: undefined,
      deadLetter: undefined,
    };
  }
  if (typeof input === 'object' && input !== null) {
    const o = readOptions('options.onError', input as { deadLetter?: unknown; decide?: unknown });
    checkPath('options.onError.deadLetter', o.deadLetter);
    if (o.decide !== undefined) checkFunction('options.onError.decide', o.decide);
    return {
      decide: o.decide as ((e: unknown, i: unknown, s: StageInfo) => unknown) | undefined,
      action: o.decide === undefined ? ('deadLetter' as const) : undefined,
      deadLetter: o.deadLetter as string,
    };
  }
  throw new InvalidArgumentError(
    `Expected options.onError to be 'fail', 'skip', a function or { deadLetter }, got ${String(input)}`,
  );
}

function checkCheckpoint<T>(input: CheckpointOptions<T> | undefined) {
  if (input === undefined) return undefined;
  const o = readOptions('options.checkpoint', input);
  checkPath('options.checkpoint.path', o.path);
  checkFunction('options.checkpoint.key', o.key);
  const every = checkNumber('options.checkpoint.every', o.every ?? 1000, 1, false);
  return { path: o.path, key: o.key, every };
}

export function checkPath(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidArgumentError(`Expected ${name} to be a file path, got ${describe(value)}`);
  }
}

export function checkBoolean(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new InvalidArgumentError(`Expected ${name} to be a boolean, got ${describe(value)}`);
  }
}

export function checkStageName(name: unknown): string | undefined {
  if (name === undefined) return undefined;
  if (typeof name !== 'string') {
    throw new InvalidArgumentError(`Expected options.name to be a string, got ${typeof name}`);
  }
  return name;
}

export function checkConcurrency(value: unknown, fallback: number): number {
  return checkInteger('options.concurrency', value ?? fallback, 1);
}

export function checkIoOptions<T>(input: IoStageOptions<T> | undefined) {
  const o = readOptions('options', input);
  checkDuration('options.timeout', o.timeout);
  if (o.key !== undefined) checkFunction('options.key', o.key);
  if (o.limiter !== undefined) {
    const limiter = o.limiter as { run?: unknown } | null;
    const run = readValue('options.limiter', () => limiter?.run);
    if (typeof run !== 'function') {
      throw new InvalidArgumentError('Expected options.limiter to be a limiter from limiter()');
    }
  }
  const retry = o.retry === undefined ? undefined : readOptions('options.retry', o.retry);
  if (retry !== undefined && 'signal' in retry) {
    throw new InvalidArgumentError(
      'options.retry.signal is not taken: the run cancels the retries (use the pipeline signal)',
    );
  }
  // Checked now, with retry()'s own rules, rather than failing every item later.
  if (retry !== undefined) checkRetryOptions(retry);
  return {
    concurrency: checkConcurrency(o.concurrency, 8),
    timeout: o.timeout ?? Number.POSITIVE_INFINITY,
    retry,
    limiter: o.limiter,
    key: o.key,
    name: o.name,
  };
}

export function checkCpuOptions(input: CpuStageOptions | undefined, threads: number) {
  const o = readOptions('options', input);
  const batch = o.batch ?? 'auto';
  if (batch !== 'auto') checkInteger('options.batch', batch, 1);
  return { batch, concurrency: checkConcurrency(o.concurrency, threads * 2), name: o.name };
}

export function checkToFileOptions(input: ToFileOptions | undefined) {
  const o = readOptions('options', input);
  checkOneOf('options.format', o.format, ['ndjson']);
  if (o.schema !== undefined && (typeof o.schema !== 'object' || o.schema === null)) {
    throw new InvalidArgumentError(`Expected options.schema to be a JSON schema object`);
  }
  return { schema: o.schema };
}

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value === 'string' ? `'${value}'` : typeof value;
}

/** An object that is iterable or async iterable (a string is refused: its items are characters). */
export function checkSource(source: unknown): void {
  const ok =
    typeof source === 'object' &&
    source !== null &&
    readValue(
      'source',
      () =>
        typeof (source as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' ||
        typeof (source as Iterable<unknown>)[Symbol.iterator] === 'function',
    );
  if (!ok) {
    throw new InvalidArgumentError(
      `Expected source to be an iterable or async iterable object (an array, a generator, a stream), got ${describe(source)}`,
    );
  }
}
