/**
 * What every stage shares with the run: the origin book, the run's signal, the failure
 * policy, the pool, and each stage's counters.
 *
 * @module
 */
import { clock } from '@tandem/workers';
import type { PipelineAttempt } from '../../errors.js';
import type { StageKind } from '../../pipeline-options.js';
import type { Envelope, GroupBook } from './groups.js';

export interface StageRuntime {
  readonly book: GroupBook;
  /** Aborts when the run is cancelled (its scope's signal). */
  readonly signal: AbortSignal;
  readonly buffer: number;
  readonly ordered: boolean;
  readonly threads: number;
  /** An item failed in `stage`: applies the failure policy (which may stop the run). */
  fail(
    stage: StageCounters,
    envelope: Envelope,
    error: unknown,
    attempts?: PipelineAttempt[],
  ): void;
  /** An io attempt beyond the first started. */
  retried(stage: StageCounters): void;
  /** Runs task `name` on `inputs` in one message, one settled result per input. */
  cpu(name: string, inputs: unknown[]): Promise<PromiseSettledResult<unknown>[]>;
}

/** One stage's row of the report. */
export interface StageReport {
  readonly name: string;
  readonly kind: StageKind;
  /** Values that entered the stage. */
  readonly in: number;
  /** Values it passed on. */
  readonly out: number;
  /** Values that failed in it (after retries). */
  readonly failed: number;
  /** Attempts beyond the first (io stages). */
  readonly retried: number;
  /** Ms during which the stage had work under way. */
  readonly busy: number;
}

/** Mutable counters behind a {@link StageReport}, with the busy-time bookkeeping. */
export class StageCounters {
  readonly name: string;
  readonly kind: StageKind;
  in = 0;
  out = 0;
  failed = 0;
  retried = 0;
  #busy = 0;
  #active = 0;
  #since = 0;

  constructor(name: string, kind: StageKind) {
    this.name = name;
    this.kind = kind;
  }

  /** Work started; busy time runs while any is under way. */
  enter(): void {
    if (this.#active++ === 0) this.#since = clock().now();
  }

  leave(): void {
    if (--this.#active === 0) this.#busy += clock().now() - this.#since;
  }

  report(): StageReport {
    const running = this.#active > 0 ? clock().now() - this.#since : 0;
    const { name, kind, failed, retried } = this;
    return { name, kind, in: this.in, out: this.out, failed, retried, busy: this.#busy + running };
  }
}

/** A stage: a transform of the stream of chunks coming from upstream. */
export interface StageSpec {
  readonly kind: StageKind;
  readonly name: string | undefined;
  build(
    upstream: AsyncIterable<Envelope[]>,
    rt: StageRuntime,
    counters: StageCounters,
  ): AsyncIterable<Envelope[]>;
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
