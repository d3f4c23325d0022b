/**
 * `startWorker`: a local engine (worker threads loading the task module) fed by a BullMQ
 * `Worker` on the versioned queue, plus the two things BullMQ lacks: cancels from other
 * processes (cancel-listener.ts) and a registry of live workers (registry.ts).
 *
 * Shutdown never fails a job for the worker's own sake: what is not finished when the worker
 * gives up (destroy, shutdown grace over, a broken pool) is left active; its lock expires and
 * another worker's stalled check runs it again (at-least-once execution).
 *
 * @module
 */
import { hostname } from 'node:os';
import { Engine } from '@tandem/core';
import { StartTimeoutError } from '@tandem/workers';
import { startTimer, type Timer } from '@tandem/workers/internal';
import { type ConnectionOptions, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { CancelListener } from './cancel-listener.js';
import { CANCELLED_BY_PRODUCER, createProcessor, LOCK_LOST } from './processor.js';
import { WorkerRegistry } from './registry.js';
import type { TandemWorker, WorkerOptions } from './worker-api.js';
import { type ResolvedWorkerOptions, resolveWorkerOptions } from './worker-options.js';

/**
 * BullMQ waits this long before retrying a completion that hit a connection error (its
 * default, 15 s, would hold every result of a Redis restart for 15 s).
 */
const RUN_RETRY_DELAY_MS = 1000;

/** Workers started in this process: the second one on gets `.<n>` in its id. */
let started = 0;

/**
 * Starts a worker: checks `options`, starts the threads (they load the task module), connects
 * to Redis, subscribes to cancels, starts taking jobs and registers itself. Resolves once jobs
 * are being taken; a start that fails leaves nothing open.
 *
 * @example
 * const worker = await startWorker({ tasks: new URL('./tasks.js', import.meta.url), connection: 'redis://127.0.0.1:6379', queue: 'tandem' });
 * process.once('SIGTERM', () => void worker.close());
 *
 * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`), OutOfRangeError
 * (`ERR_TANDEM_OUT_OF_RANGE`) for options; TaskModuleLoadError (`ERR_TANDEM_TASK_MODULE_LOAD`),
 * InvalidTaskModuleError (`ERR_TANDEM_INVALID_TASK_MODULE`), StartTimeoutError from the
 * threads; the connection error (e.g. `ECONNREFUSED`) when Redis cannot be reached at start,
 * StartTimeoutError when it accepts the connection but does not answer within `startTimeout`.
 */
export async function startWorker(options: WorkerOptions): Promise<TandemWorker> {
  const resolved = resolveWorkerOptions(options);
  started += 1;
  const id = `${hostname()}:${process.pid}${started === 1 ? '' : `.${started}`}`;
  const engine = await Engine.start({
    tasks: resolved.tasks,
    threads: resolved.threads,
    // Never more than the jobs held: BullMQ's concurrency is the bound.
    maxQueue: resolved.concurrency,
    onFull: 'wait',
  });
  try {
    return await RunningWorker.start(engine, resolved, id);
  } catch (error) {
    await engine.close({ timeout: 0 });
    throw error;
  }
}

class RunningWorker implements TandemWorker {
  readonly id: string;
  readonly engine: Engine;
  readonly #options: ResolvedWorkerOptions;
  readonly #report: (error: unknown) => void;
  readonly #commands: Redis;
  readonly #cancels: CancelListener;
  readonly #active: Set<string>;
  #worker!: Worker;
  #registry!: WorkerRegistry;
  #abandoned = false;
  #closing: Promise<void> | undefined;
  #destroying: Promise<void> | undefined;

  static async start(
    engine: Engine,
    options: ResolvedWorkerOptions,
    id: string,
  ): Promise<RunningWorker> {
    const report = reporter(options.onError);
    // Commands fail at once while disconnected (no offline queue): a registry write or a
    // flag read is not worth holding a job for. It is connected first, so that a Redis that
    // cannot be reached fails the start instead of hanging it.
    const commands = new Redis({
      ...options.redis,
      lazyConnect: true,
      enableOfflineQueue: false,
    });
    // ioredis rejects `connect()` with a bare "Connection is closed."; the error event before
    // it says why (ECONNREFUSED, a wrong password…): that is what the start rejects with.
    let refused: unknown;
    const onConnectError = (error: unknown) => {
      refused ??= error;
    };
    commands.on('error', onConnectError);
    // An endpoint that accepts the connection but never answers leaves `connect()` pending for
    // ever (ioredis' connectTimeout only covers TCP's connect): bounded by startTimeout.
    let timer: Timer | undefined;
    const silent = new Promise<never>((_, reject) => {
      timer = startTimer(options.startTimeout, () =>
        reject(
          new StartTimeoutError(
            `tandem-worker (Redis at ${options.redis.host ?? '127.0.0.1'}:${options.redis.port ?? 6379})`,
            options.startTimeout,
            'Redis did not answer: check the connection (host, port, password, TLS), or raise startTimeout.',
            refused === undefined ? undefined : { cause: refused },
          ),
        ),
      );
    });
    try {
      await Promise.race([commands.connect(), silent]);
    } catch (error) {
      commands.disconnect();
      throw error instanceof StartTimeoutError ? error : (refused ?? error);
    } finally {
      timer?.cancel();
      commands.off('error', onConnectError);
    }
    commands.on('error', report);
    commands.on('ready', report.reset);
    const worker = new RunningWorker(id, engine, options, report, commands);
    try {
      await worker.#start();
    } catch (error) {
      await worker.destroy();
      throw error;
    }
    return worker;
  }

  private constructor(
    id: string,
    engine: Engine,
    options: ResolvedWorkerOptions,
    report: Reporter,
    commands: Redis,
  ) {
    this.id = id;
    this.engine = engine;
    this.#options = options;
    this.#report = report;
    this.#commands = commands;
    this.#active = new Set();
    const subscriber = new Redis({ ...options.redis });
    subscriber.on('error', report);
    subscriber.on('ready', report.reset);
    this.#cancels = new CancelListener({
      subscriber,
      commands,
      keys: options.keys,
      cancel: (id) => this.#worker?.cancelJob(id, CANCELLED_BY_PRODUCER),
      active: () => this.#active,
      onError: report,
    });
  }

  async #start(): Promise<void> {
    const o = this.#options;
    await this.#cancels.start();
    const names = this.engine.pool.taskNames ?? [];
    const processor = createProcessor({
      engine: this.engine,
      names,
      maxPayloadBytes: o.maxPayloadBytes,
      cancels: this.#cancels,
      active: this.#active,
      abandoned: () => this.#abandoned,
      onPoolBroken: (error) => {
        if (this.#abandoned) return;
        this.#report(error);
        this.destroy().catch(this.#report);
      },
      onError: this.#report,
    });
    this.#worker = new Worker(o.bullQueue, processor, {
      // A copy: BullMQ writes into the options it is given. (ioredis's and BullMQ's option
      // types differ only in how optional properties are spelled.)
      connection: { ...o.redis } as ConnectionOptions,
      prefix: o.prefix,
      concurrency: o.concurrency,
      lockDuration: o.lockDuration,
      stalledInterval: o.stalledInterval,
      maxStalledCount: o.maxStalledCount,
      runRetryDelay: RUN_RETRY_DELAY_MS,
      name: this.id,
      autorun: false,
    });
    this.#worker.on('error', this.#report);
    // The job will be run again elsewhere: free its thread now.
    this.#worker.on('lockRenewalFailed', (ids: string[]) => {
      for (const id of ids) this.#worker.cancelJob(id, LOCK_LOST);
    });
    await this.#worker.waitUntilReady();
    this.#worker.run().catch(this.#report);
    this.#registry = new WorkerRegistry(
      this.#commands,
      o.keys,
      this.id,
      {
        names,
        threads: o.threads,
        concurrency: o.concurrency,
        host: hostname(),
        pid: process.pid,
      },
      this.#report,
    );
    await this.#registry.start();
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  destroy(): Promise<void> {
    this.#destroying ??= this.#destroy();
    return this.#destroying;
  }

  async #close(): Promise<void> {
    // Out of the registry first: producers stop counting these threads.
    const unregistered = this.#registry?.stop();
    const grace = startTimer(this.#options.shutdownGrace, () => this.#abandon());
    try {
      // Stops taking jobs and waits for those held (abandoned ones end at once).
      await this.#worker?.close();
    } finally {
      grace.cancel();
    }
    await unregistered;
    await this.#release();
  }

  async #destroy(): Promise<void> {
    // Closing BullMQ's side first: a processor that ends from here on finds its worker
    // closing and leaves its job as it is.
    const bull = this.#worker?.close(true);
    const abandoned = this.#abandon();
    await Promise.all([this.#registry?.stop(), bull, abandoned]);
    await this.#release();
  }

  /** Ends every local run; their processors leave the jobs to stall. */
  #abandon(): Promise<void> {
    this.#abandoned = true;
    return this.engine.close({ timeout: 0 });
  }

  async #release(): Promise<void> {
    await this.#cancels.close();
    try {
      await this.#commands.quit();
    } catch {
      this.#commands.disconnect();
    }
    await this.engine.close({ timeout: 0 });
  }
}

type Reporter = ((error: unknown) => void) & { reset(): void };

/**
 * Hands errors to `onError`, once per run of the same error: a Redis that is down makes
 * every connection fail again at every reconnect. A connection that comes back starts afresh.
 */
function reporter(onError: (error: unknown) => void): Reporter {
  let last: string | undefined;
  const report = (error: unknown) => {
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    const key = `${String(code)} ${String(message)}`;
    if (key === last) return;
    last = key;
    try {
      onError(error);
    } catch {
      // A throwing onError must not take down a connection's event handler.
    }
  };
  report.reset = () => {
    last = undefined;
  };
  return report;
}
