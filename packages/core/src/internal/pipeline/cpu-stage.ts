/**
 * `.cpu(task)`: items go to the pool several per message. A free message slot takes whatever
 * is waiting, up to the batch size, so a lone item is never held back for company; with
 * `batch: 'auto'` the size follows the measured time per item, aiming at about 2 ms of work
 * per message (enough to make the message cost small, short enough to keep every thread fed
 * and cancellation prompt).
 *
 * @module
 */
import { clock } from '@tandem/workers';
import { concurrent } from './concurrent.js';
import type { Envelope } from './groups.js';
import type { StageSpec } from './stage-runtime.js';

const TARGET_MS = 2;
const MAX_AUTO_BATCH = 512;
const FIRST_AUTO_BATCH = 16;

export function cpuStage(
  task: string,
  name: string | undefined,
  batch: number | 'auto',
  concurrency: number,
): StageSpec {
  return {
    kind: 'cpu',
    name,
    build(upstream, rt, counters) {
      const size = batch === 'auto' ? new AutoBatch() : undefined;
      let inFlight = 0;
      return concurrent(upstream, {
        concurrency,
        buffer: rt.buffer,
        ordered: rt.ordered,
        signal: rt.signal,
        take: () => size?.value ?? (batch as number),
        work: async (envelopes) => {
          counters.in += envelopes.length;
          counters.enter();
          // Messages queue in the pool: with `inFlight` of them on `threads` threads, one takes
          // about inFlight / threads times its own run time to come back.
          const share = Math.min(1, rt.threads / ++inFlight);
          const started = clock().now();
          let settled: PromiseSettledResult<unknown>[];
          try {
            settled = await rt.cpu(
              task,
              envelopes.map((e) => e.value),
            );
          } finally {
            inFlight -= 1;
            counters.leave();
          }
          size?.record(envelopes.length, (clock().now() - started) * share);
          const out: Envelope[] = [];
          for (const [i, result] of settled.entries()) {
            const envelope = envelopes[i] as Envelope;
            if (result.status === 'fulfilled') {
              out.push({ value: result.value, group: envelope.group });
            } else {
              counters.failed += 1;
              rt.fail(counters, envelope, result.reason);
            }
          }
          counters.out += out.length;
          return out;
        },
      });
    },
  };
}

/** The auto batch size: an average of ms per item, turned into items per ~2 ms message. */
class AutoBatch {
  value = FIRST_AUTO_BATCH;
  #msPerItem: number | undefined;

  record(items: number, ms: number): void {
    const sample = ms / items;
    this.#msPerItem = this.#msPerItem === undefined ? sample : 0.8 * this.#msPerItem + 0.2 * sample;
    const wanted = this.#msPerItem > 0 ? TARGET_MS / this.#msPerItem : MAX_AUTO_BATCH;
    this.value = Math.max(1, Math.min(MAX_AUTO_BATCH, Math.round(wanted)));
  }
}
