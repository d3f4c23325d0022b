/**
 * The engine room of a concurrent stage: pulls chunks from upstream, runs up to
 * `concurrency` jobs of up to `take` envelopes each, and yields their outputs — in completion
 * order, or in input order with `ordered`. Memory is bounded: it reads only while fewer than
 * `concurrency · take` envelopes wait, and starts a job only while the outputs not yet taken
 * by downstream plus the envelopes in jobs stay under `concurrency · take + buffer`. A slow
 * consumer therefore stops the reading, and the stage before it, and so on to the source.
 *
 * @module
 */
import { type Deferred, deferred } from '@tandem/workers/internal';
import type { Envelope } from './groups.js';

export interface ConcurrentOptions {
  readonly concurrency: number;
  readonly buffer: number;
  readonly ordered: boolean;
  /** Once it aborts, nothing more starts; waiting envelopes are dropped (their items redone). */
  readonly signal: AbortSignal;
  /** Envelopes per job at most (a cpu stage's message size; 1 for an io stage). */
  take(): number;
  /** Runs one job; resolves with its outputs. A rejection ends the stage with that error. */
  work(batch: Envelope[]): Promise<Envelope[]>;
}

export async function* concurrent(
  upstream: AsyncIterable<Envelope[]>,
  options: ConcurrentOptions,
): AsyncGenerator<Envelope[]> {
  const { concurrency, buffer, ordered } = options;
  const source = upstream[Symbol.asyncIterator]();
  let waiting: Envelope[] = [];
  let reading = false;
  let sourceDone = false;
  let running = 0;
  let inJobs = 0;
  let readyCount = 0;
  let failure: { error: unknown } | undefined;
  let wake: Deferred<void> | undefined;
  let nextJob = 0;
  let nextOut = 0;
  const ready = new Map<number, Envelope[]>();
  const notify = () => {
    wake?.resolve();
    wake = undefined;
  };

  const read = () => {
    reading = true;
    source.next().then(
      (result) => {
        reading = false;
        if (result.done) sourceDone = true;
        else if (waiting.length === 0) waiting = result.value;
        else waiting = waiting.concat(result.value);
        notify();
      },
      (error: unknown) => {
        reading = false;
        failure ??= { error };
        notify();
      },
    );
  };

  const start = (batch: Envelope[]) => {
    const seq = nextJob++;
    running += 1;
    inJobs += batch.length;
    options.work(batch).then(
      (outputs) => {
        running -= 1;
        inJobs -= batch.length;
        readyCount += outputs.length;
        ready.set(seq, outputs);
        notify();
      },
      (error: unknown) => {
        running -= 1;
        inJobs -= batch.length;
        failure ??= { error };
        notify();
      },
    );
  };

  try {
    for (;;) {
      if (failure !== undefined) throw failure.error;
      const take = Math.max(1, options.take());
      const room = concurrency * take + buffer;
      if (options.signal.aborted) waiting = [];
      while (running < concurrency && waiting.length > 0 && readyCount + inJobs < room) {
        const batch = waiting.length <= take ? waiting : waiting.slice(0, take);
        waiting = waiting.length <= take ? [] : waiting.slice(take);
        start(batch);
      }
      if (
        !reading &&
        !sourceDone &&
        waiting.length < concurrency * take &&
        !options.signal.aborted
      ) {
        read();
      }
      const out = takeReady();
      if (out.length > 0) {
        yield out;
        continue;
      }
      const drained = sourceDone || options.signal.aborted;
      if (drained && waiting.length === 0 && running === 0 && !reading) return;
      wake = deferred();
      await wake.promise;
    }
  } finally {
    // Stopped early (a consumer broke out, or a failure): let the stage before us stop too.
    // Jobs still running are cancelled by the run's scope; their handlers only count.
    if (!sourceDone) void source.return?.(undefined)?.catch?.(() => {});
  }

  function takeReady(): Envelope[] {
    let out: Envelope[] = [];
    if (ordered) {
      for (let outputs = ready.get(nextOut); outputs !== undefined; outputs = ready.get(nextOut)) {
        ready.delete(nextOut++);
        out = out.length === 0 ? outputs : out.concat(outputs);
      }
    } else {
      for (const [seq, outputs] of ready) {
        ready.delete(seq);
        out = out.length === 0 ? outputs : out.concat(outputs);
      }
    }
    readyCount -= out.length;
    return out;
  }
}
