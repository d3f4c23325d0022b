/**
 * Where `POST /render`'s CPU work runs, chosen by `--cpu`:
 * - `tandem` (the default): `engine.run('render', …)` with the request's signal and the
 *   route's deadline; the task is cancelled when the client hangs up or the deadline passes;
 * - `piscina`: a plain Piscina pool with the same threads and queue bound (the peer the load
 *   test compares against): abortable, but only by terminating a worker;
 * - `inline`: on the event loop (what the service looks like without a pool).
 *
 * @module
 */
import { fileURLToPath } from 'node:url';
import { type Engine, QueueFullError, TaskTimeoutError } from '@tandem/core';
import { Piscina } from 'piscina';
import { retryAfterSeconds } from './http-errors.ts';
import { type Rendered, type RenderInput, renderMarkdown } from './render.ts';
import type tasks from './tasks.ts';

export type CpuMode = 'tandem' | 'piscina' | 'inline';

export interface RenderCall {
  readonly signal: AbortSignal;
  /** Ms from the call, queue time included; past it the call rejects with `TaskTimeoutError`. */
  readonly deadline: number;
}

/** A verdict of admission control: shed, and when to come back. */
export interface Shed {
  /** Seconds, for `Retry-After`. */
  readonly retryAfter: number;
  readonly why: string;
}

export interface CpuBackend {
  readonly mode: CpuMode;
  render(input: RenderInput, call: RenderCall): Promise<Rendered>;
  /** Whether a render with this deadline should be refused now, before its body is read. */
  shed(deadline: number): Shed | undefined;
  close(): Promise<void>;
}

/** Renders in the engine's pool. Admission reads the pool's own estimate of the wait. */
export function tandemBackend(engine: Engine<typeof tasks>): CpuBackend {
  const pool = engine.pool;
  return {
    mode: 'tandem',
    render: (input, { signal, deadline }) => engine.run('render', input, { signal, deadline }),
    shed(deadline) {
      const wait = pool.estimateWait('render');
      if (wait === 0) return undefined;
      if (pool.stats().queued >= pool.options.maxQueue) {
        return { retryAfter: retryAfterSeconds(wait), why: 'the queue is full' };
      }
      // Infinity: no worker is alive this instant (one is being replaced after a crash or a
      // grace kill). That says nothing about the wait once it is back: admit.
      if (Number.isFinite(wait) && wait > deadline) {
        return {
          retryAfter: retryAfterSeconds(wait),
          why: `the estimated wait, ${Math.ceil(wait)} ms, exceeds the deadline of ${deadline} ms`,
        };
      }
      return undefined;
    },
    close: async () => {},
  };
}

/** Renders in a plain Piscina pool of `threads` workers, queue bounded like the engine's. */
export function piscinaBackend(threads: number): CpuBackend {
  const maxQueue = 16 * threads;
  const pool = new Piscina<RenderInput, Rendered>({
    filename: fileURLToPath(new URL('./piscina-worker.mjs', import.meta.url)),
    minThreads: threads,
    maxThreads: threads,
    maxQueue,
  });
  return {
    mode: 'piscina',
    async render(input, { signal, deadline }) {
      const controller = new AbortController();
      let expired = false;
      const timer = setTimeout(() => {
        expired = true;
        controller.abort();
      }, deadline);
      const onAbort = () => controller.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        signal.throwIfAborted();
        return await pool.run(input, { signal: controller.signal });
      } catch (error) {
        if (expired) throw new TaskTimeoutError('render', deadline, 'deadline');
        if (signal.aborted) throw signal.reason;
        // Piscina's full queue is a plain Error: answer it as the engine's would be (503).
        if ((error as Error).message === 'Task queue is at limit')
          throw new QueueFullError(maxQueue);
        throw error;
      } finally {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      }
    },
    shed: () =>
      pool.queueSize >= maxQueue ? { retryAfter: 1, why: 'the queue is full' } : undefined,
    close: () => pool.close(),
  };
}

/** Renders on the event loop: every other request waits while it runs. */
export function inlineBackend(): CpuBackend {
  return {
    mode: 'inline',
    async render(input, { signal }) {
      signal.throwIfAborted();
      return renderMarkdown(input.markdown);
    },
    shed: () => undefined,
    close: async () => {},
  };
}
