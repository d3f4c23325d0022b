/**
 * The worker registry: each worker says, every 5 s, which tasks it runs and on how many
 * threads, so that producers can size `map` batches and pipelines (`backend.threads`) and
 * know the task names. An entry in the hash is live while its score in the sorted set is in
 * the future (15 s: three missed writes); a worker that dies simply stops renewing it, and
 * one that closes removes it.
 *
 * @module
 */

import { startTimer, type Timer } from '@tandem/workers/internal';
import type { Redis } from 'ioredis';
import type { TandemKeys } from './queue-name.js';

/** Ms between two writes of a worker's entry. */
export const REGISTRY_INTERVAL_MS = 5000;
/** Ms an entry stays live after its last write. */
export const REGISTRY_TTL_MS = 15_000;

/** A worker's entry (JSON in `keys.workers`). */
export interface RegistryEntry {
  names: readonly string[];
  threads: number;
  concurrency: number;
  host: string;
  pid: number;
}

export class WorkerRegistry {
  readonly #redis: Redis;
  readonly #keys: TandemKeys;
  readonly #id: string;
  readonly #entry: string;
  readonly #onError: (error: unknown) => void;
  #timer: Timer | undefined;
  #stopped = false;

  constructor(
    redis: Redis,
    keys: TandemKeys,
    id: string,
    entry: RegistryEntry,
    onError: (error: unknown) => void,
  ) {
    this.#redis = redis;
    this.#keys = keys;
    this.#id = id;
    this.#entry = JSON.stringify(entry);
    this.#onError = onError;
  }

  /** Writes the entry, then again every {@link REGISTRY_INTERVAL_MS}. Rejects if the first write fails. */
  async start(): Promise<void> {
    await this.#write();
    this.#schedule();
  }

  /** Stops renewing and removes the entry (a failure is reported, not thrown: it expires anyway). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#timer?.cancel();
    try {
      await this.#redis
        .multi()
        .hdel(this.#keys.workers, this.#id)
        .zrem(this.#keys.alive, this.#id)
        .exec();
    } catch (error) {
      this.#onError(error);
    }
  }

  #schedule(): void {
    // unref: the registry alone never keeps a process alive.
    this.#timer = startTimer(
      REGISTRY_INTERVAL_MS,
      () => {
        if (this.#stopped) return;
        this.#write().then(
          () => {
            if (!this.#stopped) this.#schedule();
          },
          (error: unknown) => {
            if (this.#stopped) return;
            this.#onError(error);
            this.#schedule();
          },
        );
      },
      true,
    );
  }

  async #write(): Promise<void> {
    // Epoch time on purpose: producers on other machines compare it with their own clock.
    await this.#redis
      .multi()
      .hset(this.#keys.workers, this.#id, this.#entry)
      .zadd(this.#keys.alive, Date.now() + REGISTRY_TTL_MS, this.#id)
      .exec();
  }
}
