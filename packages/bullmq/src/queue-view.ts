/**
 * What a producer sees of the queue beyond its own jobs: the live workers (the registry, read
 * every 5 s) and the number of jobs waiting (all producers', read at most once a second and only
 * when asked, off the caller's path). Both are estimates for `threads`, `taskNames`,
 * `estimateWait` and a dashboard, never for correctness.
 *
 * @module
 */
import { clock } from '@tandem/workers';
import { startTimer, type Timer } from '@tandem/workers/internal';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { TandemKeys } from './queue-name.js';
import { readWorkers, type WorkerCensus } from './registry-reader.js';

/** The registry is read this often (workers refresh it every 5 s). */
const REGISTRY_MS = 5000;
/** Queue counts are read at most this often. */
const COUNTS_MS = 1000;

/** Counts for a dashboard line; see `queueCounts`. */
export interface QueueCounts {
  /** Jobs waiting for a worker (prioritized included). */
  waiting: number;
  /** Jobs a worker runs now. */
  active: number;
  /** Finished jobs still kept (see `keep`). */
  completed: number;
  failed: number;
  /** Jobs waiting for a retry's backoff. */
  delayed: number;
  /** Live registered workers. */
  workers: number;
  /** Their threads. */
  threads: number;
}

export class QueueView {
  readonly #queue: Queue;
  readonly #client: Redis;
  readonly #keys: TandemKeys;
  #census: WorkerCensus;
  #timer: Timer | undefined;
  #stopped = false;
  #waiting = 0;
  #countedAt = Number.NEGATIVE_INFINITY;
  #counting = false;

  constructor(queue: Queue, client: Redis, keys: TandemKeys, census: WorkerCensus) {
    this.#queue = queue;
    this.#client = client;
    this.#keys = keys;
    this.#census = census;
    this.#schedule();
  }

  /** The live workers as last read. */
  get census(): WorkerCensus {
    return this.#census;
  }

  /** Reads the registry now (keeps the last census if Redis cannot be reached). */
  async refresh(): Promise<WorkerCensus> {
    try {
      this.#census = await readWorkers(this.#client, this.#keys);
    } catch {
      // Keep the last census while Redis is unreachable.
    }
    return this.#census;
  }

  /** Jobs waiting in the queue as last counted; starts a new count if that is over 1 s old. */
  waiting(): number {
    if (!this.#counting && clock().now() - this.#countedAt >= COUNTS_MS) {
      this.#counting = true;
      this.#queue
        .getJobCounts('waiting', 'prioritized')
        .then(
          (counts) => {
            this.#waiting = (counts.waiting ?? 0) + (counts.prioritized ?? 0);
            this.#countedAt = clock().now();
          },
          () => {},
        )
        .finally(() => {
          this.#counting = false;
        });
    }
    return this.#waiting;
  }

  /** Counts read now. */
  async counts(): Promise<QueueCounts> {
    const [counts, census] = await Promise.all([
      this.#queue.getJobCounts(
        'waiting',
        'prioritized',
        'active',
        'completed',
        'failed',
        'delayed',
      ),
      this.refresh(),
    ]);
    const n = (key: string) => counts[key] ?? 0;
    return {
      waiting: n('waiting') + n('prioritized'),
      active: n('active'),
      completed: n('completed'),
      failed: n('failed'),
      delayed: n('delayed'),
      workers: census.workers,
      threads: census.threads,
    };
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
  }

  #schedule(): void {
    this.#timer = startTimer(
      REGISTRY_MS,
      () => {
        void this.refresh().finally(() => {
          if (!this.#stopped) this.#schedule();
        });
      },
      true,
    );
  }
}
