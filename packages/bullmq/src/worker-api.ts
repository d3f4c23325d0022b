/**
 * The worker side of `@tandem/bullmq`: a process that takes jobs from a BullMQ queue and runs
 * them on its own worker threads, with the same task module the producer was typed with.
 * `startWorker` is the library entry; the `tandem-worker` CLI wraps it.
 *
 * @module
 */
import type { Engine } from '@tandem/core';
import type { Connection } from './connection.js';

/**
 * How {@link startWorker} runs. Numbers are checked before anything starts:
 * `InvalidArgumentError` (`ERR_TANDEM_INVALID_ARGUMENT`) for a wrong type, `OutOfRangeError`
 * (`ERR_TANDEM_OUT_OF_RANGE`) for a value out of range.
 */
export interface WorkerOptions {
  /** The task module (its URL, or a path resolved from the working directory). */
  tasks: URL | string;
  /** ioredis options or a `redis://` / `rediss://` URL. */
  connection: Connection;
  /** The queue name the producers use (`bullmq({ queue })`). */
  queue: string;
  /** Task version: the worker takes only jobs of this version. Default `'1'`. */
  version?: string;
  /** BullMQ key prefix. Default `'bull'`. */
  prefix?: string;
  /** Worker threads: an integer from 1 to 1024. Default `defaultThreads()` (cores − 1, at least 1). */
  threads?: number;
  /**
   * Jobs held at once: an integer from 1 to 100 000. Default `2 × threads`, so that each thread
   * has one job running and one waiting here (its lock renewed) when it ends.
   */
  concurrency?: number;
  /**
   * Largest encoded input, result or progress value, in bytes: an integer from 1 to 512 MiB.
   * Default 1 MiB (`DEFAULT_MAX_PAYLOAD_BYTES`). An input over it fails unrecoverably, before
   * it is decoded (`ERR_TANDEM_PAYLOAD_TOO_LARGE`); so does a result or a progress value.
   */
  maxPayloadBytes?: number;
  /**
   * Ms a job's lock lasts without renewal (renewed every quarter of it): an integer from 1 000
   * to 2³¹ − 1. A job whose process died is taken back once its lock expired and a stalled
   * check ran. Default 30 000.
   */
  lockDuration?: number;
  /** Ms between two checks for stalled jobs: an integer from 1 000 to 2³¹ − 1. Default 30 000. */
  stalledInterval?: number;
  /**
   * Times a job may stall (its process dies, or loses its lock) and be run again before it
   * fails with `ERR_TANDEM_WORKER_CRASHED`: an integer from 0 to 1 000 000. Default 1.
   */
  maxStalledCount?: number;
  /**
   * Ms `close()` lets the jobs held here finish; then the rest is left to stall and be run
   * elsewhere. An integer >= 0, or `Infinity`. Default 10 000.
   */
  shutdownGrace?: number;
  /**
   * Ms the start waits for Redis to answer (once the threads have loaded the task module),
   * else it rejects with `StartTimeoutError` (`ERR_TANDEM_START_TIMEOUT`): an endpoint
   * that accepts the connection but never answers (a wrong port, a stopped Redis, a silent
   * proxy) would hang the start for ever. A number >= 1, or `Infinity`. Default 30 000.
   */
  startTimeout?: number;
  /**
   * Receives what goes wrong outside any job: Redis connection errors (reported once per
   * outage), lost locks, registry writes that failed, and `PoolBrokenError`
   * (`ERR_TANDEM_POOL_BROKEN`: no thread can be kept alive; the worker then destroys itself,
   * leaving its jobs to stall and run elsewhere). Default: a line on stderr.
   */
  onError?: (error: unknown) => void;
}

/** A running worker. */
export interface TandemWorker {
  /** `<hostname>:<pid>` (with `.<n>` for the n-th worker of a process): its name in BullMQ and in the registry. */
  readonly id: string;
  /** The local engine the jobs run on (its stats, its `onSettled`). */
  readonly engine: Engine;
  /**
   * Stops taking jobs, lets those held finish (up to `shutdownGrace`, then they are left to
   * stall and run elsewhere), removes the worker from the registry and closes the connections
   * and the threads. Idempotent.
   */
  close(): Promise<void>;
  /**
   * Stops now: local tasks are cancelled and the jobs held are left to stall, to be run again
   * by another worker once their lock expires. Idempotent; also ends a `close()` under way.
   */
  destroy(): Promise<void>;
}

export { startWorker } from './worker.js';
