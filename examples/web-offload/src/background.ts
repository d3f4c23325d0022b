/**
 * Background jobs: work a route accepts (202) and finishes after its response has gone out,
 * like FastAPI's `BackgroundTasks`. Each job is tracked from the moment it is accepted, so
 * that shutdown waits for it; past the grace its signal aborts and it is awaited still.
 *
 * @module
 */
import type { FastifyReply } from 'fastify';

export type JobState =
  | { readonly id: string; readonly state: 'pending' }
  | { readonly id: string; readonly state: 'done'; readonly result: Record<string, unknown> }
  | { readonly id: string; readonly state: 'failed'; readonly code: string };

const MAX_TIMER = 2 ** 31 - 1;

/** Finished jobs kept for `GET /jobs/:id` (the oldest are forgotten first). */
const KEPT = 1_000;

export class BackgroundJobs {
  readonly #states = new Map<string, JobState>();
  readonly #running = new Set<Promise<void>>();
  readonly #stop = new AbortController();
  #next = 0;

  /** Jobs accepted and not finished. */
  get running(): number {
    return this.#running.size;
  }

  get(id: string): JobState | undefined {
    return this.#states.get(id);
  }

  /**
   * Accepts a job: it starts once `reply`'s response has closed (sent, or the client gone —
   * accepted work is done either way) and gets a signal that aborts only when `drain`'s grace
   * runs out. Returns the job's id.
   */
  afterResponse(
    reply: FastifyReply,
    work: (signal: AbortSignal) => Promise<Record<string, unknown>>,
  ): string {
    const id = String(++this.#next);
    this.#remember({ id, state: 'pending' });
    const job = new Promise<void>((resolve) => reply.raw.once('close', resolve))
      .then(() => work(this.#stop.signal))
      .then(
        (result) => this.#remember({ id, state: 'done', result }),
        (error: unknown) => {
          const code = (error as { code?: unknown } | null)?.code;
          this.#remember({
            id,
            state: 'failed',
            code: typeof code === 'string' ? code : 'ERR_WEB_INTERNAL',
          });
        },
      )
      .finally(() => this.#running.delete(job));
    this.#running.add(job);
    return id;
  }

  /**
   * Waits for every job; those still running after `grace` ms (`Infinity`: never) are
   * aborted, then awaited.
   */
  async drain(grace: number): Promise<void> {
    // setTimeout would turn Infinity (or anything past 2³¹ − 1 ms) into 1 ms.
    const timer =
      grace <= MAX_TIMER
        ? setTimeout(() => this.#stop.abort(new Error('shutdown grace ran out')), grace)
        : undefined;
    try {
      while (this.#running.size > 0) await Promise.all(this.#running);
    } finally {
      clearTimeout(timer);
    }
  }

  #remember(state: JobState): void {
    this.#states.delete(state.id);
    this.#states.set(state.id, state);
    if (this.#states.size > KEPT) {
      for (const [id, old] of this.#states) {
        if (old.state === 'pending') continue;
        this.#states.delete(id);
        break;
      }
    }
  }
}
