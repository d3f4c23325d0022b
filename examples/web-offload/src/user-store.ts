/**
 * The service's stand-in for a database: users 1…`size`, each lookup an asynchronous wait
 * of `latency` ms (I/O on the loop, cancelled by its signal).
 *
 * @module
 */
import { sleep } from '@tandem/core';

export interface User {
  readonly id: number;
  readonly name: string;
  readonly email: string;
  /** What the user wrote about themselves, in markdown (the background job renders it). */
  readonly bio: string;
}

export interface UserStoreOptions {
  /** Users 1…size exist. Default 1 000. */
  readonly size?: number;
  /** Ms each lookup waits. Default 2. */
  readonly latency?: number;
}

export class UserStore {
  readonly size: number;
  readonly latency: number;

  constructor(options: UserStoreOptions = {}) {
    this.size = options.size ?? 1_000;
    this.latency = options.latency ?? 2;
  }

  /** The user, or undefined; rejects with `signal.reason` when the signal aborts first. */
  async get(id: number, signal?: AbortSignal): Promise<User | undefined> {
    await sleep(this.latency, { signal });
    if (!Number.isInteger(id) || id < 1 || id > this.size) return undefined;
    return {
      id,
      name: `User ${id}`,
      email: `user${id}@example.test`,
      bio: `# User ${id}\n\nLikes *fast* services and **threads**.\n`,
    };
  }
}
