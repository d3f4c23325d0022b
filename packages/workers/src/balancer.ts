/**
 * Which worker Piscina hands the next task to: the least busy one that may take more, as
 * Piscina's own `LeastBusyBalancer`, except workers being retired (they finish what they hold
 * and end). It also remembers each worker's live view, so the pool can see when a retiring
 * worker has emptied.
 *
 * @module
 */
import type { Piscina } from 'piscina';

type PiscinaLoadBalancer = NonNullable<
  NonNullable<ConstructorParameters<typeof Piscina>[0]>['loadBalancer']
>;
type WorkerView = Parameters<PiscinaLoadBalancer>[1][number];

export class Balancer {
  readonly #maximumUsage: number;
  readonly #retiring = new Set<number>();
  readonly #views = new Map<number, WorkerView>();

  constructor(maximumUsage: number) {
    this.#maximumUsage = maximumUsage;
  }

  /** The function Piscina calls (`loadBalancer` option). */
  readonly pick: PiscinaLoadBalancer = (_task, workers) => {
    let candidate: WorkerView | null = null;
    let least = this.#maximumUsage;
    for (const worker of workers) {
      const id = worker.id;
      this.#views.set(id, worker);
      if (this.#retiring.has(id)) continue;
      const usage = worker.currentUsage;
      if (usage === 0) return worker;
      if (usage < least) {
        candidate = worker;
        least = usage;
      }
    }
    return candidate;
  };

  /** No more tasks for worker `threadId`. */
  retire(threadId: number): void {
    this.#retiring.add(threadId);
  }

  /** Retiring workers that hold no task any more (each is returned once). */
  *emptied(): Generator<number> {
    for (const id of this.#retiring) {
      const view = this.#views.get(id);
      if (view === undefined || view.currentUsage === 0) {
        this.#retiring.delete(id);
        this.#views.delete(id);
        yield id;
      }
    }
  }

  get retiring(): number {
    return this.#retiring.size;
  }

  /** Worker `threadId` is gone. */
  forget(threadId: number): void {
    this.#retiring.delete(threadId);
    this.#views.delete(threadId);
  }
}
