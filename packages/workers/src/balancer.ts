/**
 * Which worker gets the next message, and what each worker holds. Piscina calls `pick` when it
 * posts a message (at once when a worker is ready, later otherwise); the message carries its
 * {@link Dispatch} under Piscina's `queueOptionsSymbol`, so the pick is recorded whenever it
 * happens. The least loaded worker wins — by estimated ms of work held under `'auto'`, by
 * tasks held with a fixed `concurrentTasksPerWorker` — except workers being retired (they
 * finish what they hold and end).
 *
 * @module
 */
import { Piscina } from 'piscina';
import type { TaskRecord } from './task-record.js';

type PiscinaLoadBalancer = NonNullable<
  NonNullable<ConstructorParameters<typeof Piscina>[0]>['loadBalancer']
>;
type WorkerView = Parameters<PiscinaLoadBalancer>[1][number];
type PiscinaTask = Parameters<PiscinaLoadBalancer>[0];

/** One message in flight: its tasks, their slots, and where it went. */
export interface Dispatch {
  readonly records: TaskRecord[];
  /** The slot of each record when it was sent (a record taken back moves to another slot). */
  /** An Int32Array sent with a message of several; a plain array for a task sent alone. */
  readonly slots: Int32Array | number[];
  /** Estimated ms of work it carries (less what was taken back from it). */
  cost: number;
  /** Its tasks its worker still counts as held (less what was taken back). */
  held: number;
  readonly sentAt: number;
  /** The threadId of the worker Piscina posted it to; 0 until posted. */
  worker: number;
  /** Sent while no worker was ready: Piscina holds it. */
  unplaced: boolean;
}

/** What one worker holds. */
interface Load {
  /** Piscina's live view of the worker. */
  view: WorkerView;
  tasks: number;
  ms: number;
  dispatches: Set<Dispatch>;
}

export class Balancer {
  /** Messages a worker may hold (Piscina's `concurrentTasksPerWorker`). */
  readonly maxMessages: number;
  readonly #byTasks: boolean;
  readonly #retiring = new Set<number>();
  readonly #loads = new Map<number, Load>();
  /** Dispatches Piscina has not posted yet (no worker was ready). */
  unplaced = 0;
  /**
   * The dispatch being handed to Piscina right now: when a worker is ready, Piscina picks it
   * inside `run()`, and this is how the pick knows what it places (cheaper than a property on
   * the message, which slows its clone down).
   */
  posting: Dispatch | undefined;

  /** `byTasks`: balance on tasks held (a fixed setting), not on estimated ms. */
  constructor(maxMessages: number, byTasks: boolean) {
    this.maxMessages = maxMessages;
    this.#byTasks = byTasks;
  }

  /** The function Piscina calls (`loadBalancer` option). */
  readonly pick: PiscinaLoadBalancer = (task, workers) => {
    let candidate: Load | undefined;
    for (const view of workers) {
      const load = this.#loadOf(view);
      const usage = view.currentUsage;
      if (this.#retiring.has(view.id) || usage >= this.maxMessages) continue;
      // Ties go to the worker with fewer messages (the start-up describes carry no load).
      const weight = this.#weight(load);
      const best = candidate === undefined ? Number.POSITIVE_INFINITY : this.#weight(candidate);
      if (weight < best || (weight === best && usage < candidate!.view.currentUsage)) {
        candidate = load;
      }
    }
    if (candidate === undefined) return null;
    const dispatch = this.posting ?? dispatchOf(task);
    if (dispatch !== undefined) {
      if (dispatch.unplaced) {
        dispatch.unplaced = false;
        this.unplaced--;
      }
      dispatch.worker = candidate.view.id;
      candidate.tasks += dispatch.held;
      candidate.ms += dispatch.cost;
      candidate.dispatches.add(dispatch);
    }
    return candidate.view;
  };

  /** Hands `message` for `dispatch` to Piscina through `run` and records where it went. */
  post(dispatch: Dispatch, message: unknown[], run: () => void): void {
    this.posting = dispatch;
    try {
      run();
    } finally {
      this.posting = undefined;
    }
    if (dispatch.worker !== 0) return;
    attachDispatch(message, dispatch);
    dispatch.unplaced = true;
    this.unplaced++;
  }

  /** The worker answered for `dispatch` (or died with it). */
  answered(dispatch: Dispatch): void {
    if (dispatch.unplaced) {
      dispatch.unplaced = false;
      this.unplaced--;
      return;
    }
    const load = this.#loads.get(dispatch.worker);
    if (load === undefined || !load.dispatches.delete(dispatch)) return;
    load.tasks -= dispatch.held;
    load.ms -= dispatch.cost;
    if (load.dispatches.size === 0) load.ms = 0; // no drift from rounding
  }

  /** `count` tasks costing `ms` left `dispatch` before its worker claimed them (stolen). */
  shrink(dispatch: Dispatch, count: number, ms: number): void {
    dispatch.held -= count;
    dispatch.cost -= ms;
    const load = this.#loads.get(dispatch.worker);
    if (load === undefined || !load.dispatches.has(dispatch)) return;
    load.tasks -= count;
    load.ms -= ms;
  }

  /**
   * The least loaded worker that may take work, as `{ tasks, ms }` held; undefined when none is
   * known. A worker counts once Piscina has it ready (a replacement still starting cannot take
   * work: Piscina would give it to the others).
   */
  lightest(): { tasks: number; ms: number } | undefined {
    let best: Load | undefined;
    for (const load of this.#loads.values()) {
      if (this.#retiring.size > 0 && this.#retiring.has(load.view.id)) continue;
      if (best === undefined || this.#weight(load) < this.#weight(best)) best = load;
    }
    return best;
  }

  /** Workers that may take work (ready, not being retired). */
  get workers(): number {
    let count = 0;
    for (const id of this.#loads.keys()) if (!this.#retiring.has(id)) count++;
    return count;
  }

  /** Estimated ms of work held by the workers that may take work. */
  heldMs(): number {
    let ms = 0;
    for (const [id, load] of this.#loads) if (!this.#retiring.has(id)) ms += load.ms;
    return ms;
  }

  /** Workers holding at least one task. */
  busyWorkers(): number {
    let busy = 0;
    for (const load of this.#loads.values()) if (load.tasks > 0) busy++;
    return busy;
  }

  /** The sum of `roomOf(tasks, ms)` over the workers that may take work. */
  room(roomOf: (tasks: number, ms: number) => number): number {
    let room = 0;
    for (const [id, load] of this.#loads) {
      if (!this.#retiring.has(id)) room += roomOf(load.tasks, load.ms);
    }
    return room;
  }

  /**
   * The messages held by busy workers (oldest first) when some worker holds nothing, else
   * undefined. Called after every answer: the common case (no worker idle, or none busy)
   * allocates nothing.
   */
  busyBesideIdle(): Dispatch[] | undefined {
    let idle = false;
    let busy = false;
    for (const load of this.#loads.values()) {
      if (this.#retiring.size > 0 && this.#retiring.has(load.view.id)) continue;
      if (load.tasks === 0) idle = true;
      else busy = true;
    }
    if (!idle || !busy) return undefined;
    const held: Dispatch[] = [];
    for (const [id, load] of this.#loads) {
      if (this.#retiring.has(id)) continue;
      for (const dispatch of load.dispatches) held.push(dispatch);
    }
    return held;
  }

  /** Piscina has a new worker ready (its `workerCreate` event): it may take work. */
  ready(view: WorkerView): void {
    this.#loadOf(view);
  }

  /** No more tasks for worker `threadId`. */
  retire(threadId: number): void {
    this.#retiring.add(threadId);
  }

  /** Retiring workers that hold no task any more (each is returned once). */
  *emptied(): Generator<number> {
    for (const id of this.#retiring) {
      const load = this.#loads.get(id);
      if (load === undefined || load.view.currentUsage === 0) {
        this.#retiring.delete(id);
        this.#loads.delete(id);
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
    this.#loads.delete(threadId);
  }

  #loadOf(view: WorkerView): Load {
    let load = this.#loads.get(view.id);
    if (load === undefined) {
      load = { view, tasks: 0, ms: 0, dispatches: new Set() };
      this.#loads.set(view.id, load);
    } else {
      load.view = view; // Piscina makes a fresh view per call
    }
    return load;
  }

  #weight(load: Load): number {
    return this.#byTasks ? load.tasks : load.ms;
  }
}

/** The dispatch a message carries (the pool sets it; Piscina's describe call has none: null). */
function dispatchOf(task: PiscinaTask): Dispatch | undefined {
  const options = (task as unknown as Record<symbol, Dispatch | null>)[Piscina.queueOptionsSymbol];
  return options ?? undefined;
}

/**
 * Attaches `dispatch` to a message Piscina queued (no worker was ready) where Piscina shows it
 * to the balancer when it places it later. Piscina holds the message until then.
 */
export function attachDispatch(message: unknown[], dispatch: Dispatch): void {
  (message as unknown as Record<symbol, Dispatch>)[Piscina.queueOptionsSymbol] = dispatch;
}
