/**
 * Which worker gets the next message, and what each worker holds. The least loaded worker
 * wins — by estimated ms of work held under `'auto'`, by tasks held with a fixed
 * `concurrentTasksPerWorker` — except workers being retired (they finish what they hold and
 * end). A worker counts once its port has arrived.
 *
 * @module
 */
import type { TaskRecord } from './task-record.js';

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
  /** The threadId of the worker it went to. */
  worker: number;
}

/** What one worker holds. */
interface Load {
  threadId: number;
  tasks: number;
  ms: number;
  dispatches: Set<Dispatch>;
}

export class Balancer {
  readonly #byTasks: boolean;
  readonly #retiring = new Set<number>();
  readonly #loads = new Map<number, Load>();

  /** `byTasks`: balance on tasks held (a fixed setting), not on estimated ms. */
  constructor(byTasks: boolean) {
    this.#byTasks = byTasks;
  }

  /**
   * Gives `dispatch` to the least loaded worker (the one `lightest()` reported) and returns
   * its threadId. The caller has checked that one exists.
   */
  place(dispatch: Dispatch): number {
    const load = this.#lightest()!;
    dispatch.worker = load.threadId;
    load.tasks += dispatch.held;
    load.ms += dispatch.cost;
    load.dispatches.add(dispatch);
    return load.threadId;
  }

  /** The worker answered for `dispatch` (or died with it). */
  answered(dispatch: Dispatch): void {
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
   * known. Ties go to the worker holding fewer messages.
   */
  lightest(): { tasks: number; ms: number } | undefined {
    return this.#lightest();
  }

  #lightest(): Load | undefined {
    let best: Load | undefined;
    for (const load of this.#loads.values()) {
      if (this.#retiring.size > 0 && this.#retiring.has(load.threadId)) continue;
      if (best === undefined) {
        best = load;
        continue;
      }
      const weight = this.#weight(load);
      const bestWeight = this.#weight(best);
      if (
        weight < bestWeight ||
        (weight === bestWeight && load.dispatches.size < best.dispatches.size)
      ) {
        best = load;
      }
    }
    return best;
  }

  /** The messages worker `threadId` holds (a copy). */
  dispatchesOf(threadId: number): Dispatch[] {
    const load = this.#loads.get(threadId);
    return load === undefined ? [] : [...load.dispatches];
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
      if (this.#retiring.size > 0 && this.#retiring.has(load.threadId)) continue;
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

  /** Worker `threadId` is ready (its port has arrived): it may take work. */
  ready(threadId: number): void {
    if (!this.#loads.has(threadId)) {
      this.#loads.set(threadId, { threadId, tasks: 0, ms: 0, dispatches: new Set() });
    }
  }

  /** No more tasks for worker `threadId`. */
  retire(threadId: number): void {
    this.#retiring.add(threadId);
  }

  /** Retiring workers that hold no task any more (each is returned once). */
  *emptied(): Generator<number> {
    for (const id of this.#retiring) {
      const load = this.#loads.get(id);
      if (load === undefined || load.dispatches.size === 0) {
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

  #weight(load: Load): number {
    return this.#byTasks ? load.tasks : load.ms;
  }
}
