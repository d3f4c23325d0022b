/**
 * The BullMQ processor: one job → one run (or one batch) on the local engine → the encoded
 * result, or a thrown failure carrier (failure.ts) that says whether BullMQ may retry.
 *
 * Unrecoverable (failed at once, whatever `attempts` says): a job this side refuses (wire
 * format, payload size, unknown task, deadline already past, cancelled), a `TaskTimeoutError`,
 * and a result too large. Retryable: the task's own errors and a crashed thread. A job this
 * worker gives up on as a whole (destroy, shutdown grace over, pool broken) is neither: it is
 * left active, to stall and be run again elsewhere.
 *
 * @module
 */
import { CancelledError, type Engine, TaskTimeoutError, UnknownTaskError } from '@tandem/core';
import { type BatchOutcome, serializeError } from '@tandem/workers';
import { DelayedError, type Job } from 'bullmq';
import type { CancelListener } from './cancel-listener.js';
import { WireFormatError } from './errors.js';
import { failureCarrier } from './failure.js';
import { PROGRESS_INTERVAL_MS, ProgressThrottle } from './progress-throttle.js';
import { checkPayload, decode, encode, readJobData } from './wire.js';

/** Reasons given to `worker.cancelJob`. */
export const CANCELLED_BY_PRODUCER = 'its producer cancelled it';
export const LOCK_LOST = 'its lock was lost, so it may run again elsewhere';

export interface ProcessorOptions {
  engine: Engine;
  /** The task names of the local task module. */
  names: readonly string[];
  maxPayloadBytes: number;
  cancels: Pick<CancelListener, 'wasCancelled'>;
  /** Ids of the jobs being processed; the processor keeps it. */
  active: Set<string>;
  /** True once the worker lets its jobs stall rather than settle them (destroy, grace over, pool broken). */
  abandoned(): boolean;
  /** The local pool cannot keep a thread alive: the worker must stop taking jobs. */
  onPoolBroken(error: unknown): void;
  onError(error: unknown): void;
}

/** What BullMQ calls for each job. */
export type Processor = (
  job: Job,
  token: string | undefined,
  signal: AbortSignal | undefined,
) => Promise<string>;

export function createProcessor(options: ProcessorOptions): Processor {
  // Three declared parameters: BullMQ hands an AbortSignal (aborted by worker.cancelJob) only to
  // a processor whose `length` is at least 3.
  return (job, _token, signal) => processJob(options, job, signal);
}

async function processJob(
  options: ProcessorOptions,
  job: Job,
  bullSignal: AbortSignal | undefined,
): Promise<string> {
  const id = job.id ?? '';
  const controller = new AbortController();
  // worker.cancelJob aborts with a bare string (CANCELLED_BY_PRODUCER, LOCK_LOST): the run
  // gets a coded error.
  const onCancel = () =>
    controller.abort(
      new CancelledError(`Job ${id} was stopped here: ${String(bullSignal?.reason)}.`),
    );
  if (bullSignal?.aborted) onCancel();
  else bullSignal?.addEventListener('abort', onCancel, { once: true });
  options.active.add(id);
  let throttle: ProgressThrottle | undefined;
  let running = false;
  try {
    const data = readJobData(job.data);
    checkPayload('input', data.i, options.maxPayloadBytes);
    if (!options.names.includes(job.name)) throw new UnknownTaskError(job.name, options.names);
    if (data.t !== undefined && !(data.t >= 0)) throw new WireFormatError(`t is ${data.t}`);
    if (await options.cancels.wasCancelled(job)) {
      throw new CancelledError(`Job ${id} was cancelled before it started here.`);
    }
    controller.signal.throwIfAborted();
    const deadline = data.d === undefined ? undefined : data.d - Date.now();
    if (deadline !== undefined && deadline <= 0) {
      throw new TaskTimeoutError(job.name, Math.max(0, (data.d ?? 0) - job.timestamp), 'deadline');
    }
    const input = decode(data.i);
    if (data.p === 1) {
      throttle = new ProgressThrottle(
        PROGRESS_INTERVAL_MS,
        (value) => job.updateProgress(value),
        options.onError,
      );
    }
    running = true;
    const value =
      data.b === 1
        ? await runBatch(options, job.name, input, controller.signal, deadline)
        : await options.engine.run(job.name, input, {
            signal: controller.signal,
            timeout: data.t,
            deadline,
            onProgress: throttle && progressSender(options, throttle, controller),
          });
    running = false;
    const text = encode(value);
    checkPayload('result', text, options.maxPayloadBytes);
    // The last progress value goes out before `completed` does, as in a local run.
    await throttle?.flush();
    return text;
  } catch (error) {
    throttle?.cancel();
    if (isPoolBroken(error)) options.onPoolBroken(error);
    if (options.abandoned()) {
      // BullMQ leaves a job failed with DelayedError as it is (it reads it as "the processor
      // moved the job itself"): active, its lock no longer renewed, so it stalls and another
      // worker runs it.
      throw new DelayedError(`Job ${id} was left to stall: worker shutting down.`);
    }
    const retryable = running && !controller.signal.aborted && !(error instanceof TaskTimeoutError);
    throw failureCarrier(error, retryable);
  } finally {
    options.active.delete(id);
    bullSignal?.removeEventListener('abort', onCancel);
  }
}

/** `ctx.progress` → encoded, size-checked → throttled `job.updateProgress`. */
function progressSender(
  options: ProcessorOptions,
  throttle: ProgressThrottle,
  controller: AbortController,
): (value: unknown) => void {
  return (value) => {
    let text: string;
    try {
      text = encode(value);
      checkPayload('progress', text, options.maxPayloadBytes);
    } catch (error) {
      // A progress value that cannot be sent ends the run with that error (unrecoverable).
      controller.abort(error);
      return;
    }
    throttle.push(text);
  };
}

/** A batch (`map` on the producer): one local `map` of all its items, settled per item. */
async function runBatch(
  options: ProcessorOptions,
  name: string,
  items: unknown,
  signal: AbortSignal,
  deadline: number | undefined,
): Promise<BatchOutcome> {
  if (!Array.isArray(items)) throw new WireFormatError('a batch whose items are not an array');
  const outcome: BatchOutcome = { values: new Array(items.length), errors: [] };
  if (items.length === 0) return outcome;
  const settled = await options.engine.map(name, items, {
    settle: true,
    batch: items.length,
    signal,
    deadline,
  });
  for (const [index, result] of settled.entries()) {
    if (result.status === 'fulfilled') {
      outcome.values[index] = result.value;
      continue;
    }
    // The pool going away is the worker's failure, not the item's: the job is left to stall.
    if (isPoolBroken(result.reason) || options.abandoned()) throw result.reason;
    outcome.errors.push([index, serializeError(result.reason)]);
  }
  return outcome;
}

function isPoolBroken(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ERR_TANDEM_POOL_BROKEN';
}
