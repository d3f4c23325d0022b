/**
 * Job ids seen cancelled lately: a bounded, expiring set. A cancel message can beat the job
 * it names (the producer publishes while BullMQ's `moveToActive` reply is still on its way),
 * so the processor looks here when a job starts. Bounded so that a flood of cancels for jobs
 * that run elsewhere costs a fixed amount of memory.
 *
 * @module
 */
import { clock } from '@tandem/workers';

export class RecentIds {
  readonly #max: number;
  readonly #ttl: number;
  /** Id → expiry time; a Map iterates in insertion order, oldest first. */
  readonly #ids = new Map<string, number>();

  constructor(max: number, ttl: number) {
    this.#max = max;
    this.#ttl = ttl;
  }

  get size(): number {
    return this.#ids.size;
  }

  add(id: string): void {
    const now = clock().now();
    this.#ids.delete(id);
    this.#ids.set(id, now + this.#ttl);
    for (const [oldest, expires] of this.#ids) {
      if (this.#ids.size <= this.#max && expires > now) break;
      this.#ids.delete(oldest);
    }
  }

  has(id: string): boolean {
    const expires = this.#ids.get(id);
    if (expires === undefined) return false;
    if (expires > clock().now()) return true;
    this.#ids.delete(id);
    return false;
  }
}
