/**
 * The options of `startWorker`: checked, read once, defaults filled in, before anything starts.
 *
 * @module
 */
import { defaultThreads, InvalidArgumentError, OutOfRangeError } from '@tandem/workers';
import { checkDuration, checkFunction, checkInteger, checkNumber } from '@tandem/workers/internal';
import type { RedisOptions } from 'ioredis';
import { redisOptions } from './connection.js';
import { bullQueueName, checkName, type TandemKeys, tandemKeys } from './queue-name.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from './wire.js';
import type { WorkerOptions } from './worker-api.js';

/** Node's timers fire at once past this, and BullMQ's lock and stall timers are Node timers. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Below this a lock is lost to one GC pause or one slow Redis reply. */
const MIN_LOCK_MS = 1000;
/** Redis refuses a bulk string over 512 MiB (its default `proto-max-bulk-len`). */
const MAX_PAYLOAD_BYTES = 512 * 1024 * 1024;
const MAX_THREADS = 1024;
const MAX_CONCURRENCY = 100_000;
const MAX_STALLED_COUNT = 1_000_000;
export const DEFAULT_LOCK_DURATION = 30_000;
export const DEFAULT_STALLED_INTERVAL = 30_000;
export const DEFAULT_MAX_STALLED_COUNT = 1;
export const DEFAULT_SHUTDOWN_GRACE = 10_000;
export const DEFAULT_START_TIMEOUT = 30_000;

export interface ResolvedWorkerOptions {
  tasks: URL | string;
  redis: RedisOptions;
  prefix: string;
  /** The BullMQ queue: `<queue>.v<version>.w1`. */
  bullQueue: string;
  keys: TandemKeys;
  threads: number;
  concurrency: number;
  maxPayloadBytes: number;
  lockDuration: number;
  stalledInterval: number;
  maxStalledCount: number;
  shutdownGrace: number;
  startTimeout: number;
  onError: (error: unknown) => void;
}

/**
 * `label` names an option in error messages (the CLI names its flags).
 *
 * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`), OutOfRangeError
 * (`ERR_TANDEM_OUT_OF_RANGE`).
 */
export function resolveWorkerOptions(
  options: unknown,
  label: (key: keyof WorkerOptions) => string = (key) => `options.${key}`,
): ResolvedWorkerOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(
      `Expected options to be an object with at least { tasks, connection, queue }, got ${options === null ? 'null' : typeof options}`,
    );
  }
  let read: WorkerOptions;
  try {
    read = { ...(options as WorkerOptions) };
  } catch (cause) {
    throw new InvalidArgumentError('Could not read options: reading it threw (see error.cause)', {
      cause,
    });
  }
  const { tasks, connection, queue, version = '1', prefix = 'bull' } = read;
  if (!(tasks instanceof URL) && (typeof tasks !== 'string' || tasks === '')) {
    throw new InvalidArgumentError(
      `Expected ${label('tasks')} to be the task module's URL or path, e.g. new URL('./tasks.js', import.meta.url)`,
    );
  }
  const redis = redisOptions(label('connection'), connection);
  checkName(label('queue'), queue);
  checkName(label('version'), version);
  checkName(label('prefix'), prefix);
  const threads = bounded(label('threads'), read.threads, 1, MAX_THREADS) ?? defaultThreads();
  const concurrency =
    bounded(label('concurrency'), read.concurrency, 1, MAX_CONCURRENCY) ?? 2 * threads;
  const bullQueue = bullQueueName(queue, version);
  const onError = read.onError ?? writeToStderr;
  checkFunction(label('onError'), onError);
  const shutdownGrace = read.shutdownGrace ?? DEFAULT_SHUTDOWN_GRACE;
  checkDuration(label('shutdownGrace'), shutdownGrace);
  if (!Number.isInteger(shutdownGrace) && shutdownGrace !== Number.POSITIVE_INFINITY) {
    throw new InvalidArgumentError(
      `Expected ${label('shutdownGrace')} to be an integer or Infinity, got ${shutdownGrace}`,
    );
  }
  const startTimeout = read.startTimeout ?? DEFAULT_START_TIMEOUT;
  checkNumber(label('startTimeout'), startTimeout, 1, true);
  return {
    tasks: tasks instanceof URL ? new URL(tasks.href) : tasks,
    redis,
    prefix,
    bullQueue,
    keys: tandemKeys(prefix, bullQueue),
    threads,
    concurrency,
    maxPayloadBytes:
      bounded(label('maxPayloadBytes'), read.maxPayloadBytes, 1, MAX_PAYLOAD_BYTES) ??
      DEFAULT_MAX_PAYLOAD_BYTES,
    lockDuration:
      bounded(label('lockDuration'), read.lockDuration, MIN_LOCK_MS, MAX_TIMER_MS) ??
      DEFAULT_LOCK_DURATION,
    stalledInterval:
      bounded(label('stalledInterval'), read.stalledInterval, MIN_LOCK_MS, MAX_TIMER_MS) ??
      DEFAULT_STALLED_INTERVAL,
    maxStalledCount:
      bounded(label('maxStalledCount'), read.maxStalledCount, 0, MAX_STALLED_COUNT) ??
      DEFAULT_MAX_STALLED_COUNT,
    shutdownGrace,
    startTimeout,
    onError,
  };
}

/** An integer in [min, max], or undefined (the default applies). */
function bounded(name: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  checkInteger(name, value, min);
  if ((value as number) > max) {
    throw new OutOfRangeError(`Expected ${name} <= ${max}, got ${value as number}`);
  }
  return value as number;
}

function writeToStderr(error: unknown): void {
  const code = (error as { code?: unknown } | null)?.code;
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  process.stderr.write(
    `tandem-worker: ${typeof code === 'string' ? `[${code}] ` : ''}${text.split('\n')[0]}\n`,
  );
}
