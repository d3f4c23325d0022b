/**
 * The stages that run on the loop without retries: `map`, `filter`, `flatMap`, `tap` (one
 * item at a time unless given a concurrency, with no promise hop for a synchronous
 * function) and `batch`.
 *
 * @module
 */
import { InvalidArgumentError } from '@tandem/workers';
import type { StageKind } from '../../pipeline-options.js';
import { concurrent } from './concurrent.js';
import type { Envelope } from './groups.js';
import {
  isThenable,
  type StageCounters,
  type StageRuntime,
  type StageSpec,
} from './stage-runtime.js';

type Call = (value: unknown) => unknown;

/** How a stage turns an item's result into outputs (pushed onto `out`). */
type Apply = (rt: StageRuntime, envelope: Envelope, result: unknown, out: Envelope[]) => void;

const applies: Record<'map' | 'filter' | 'flatMap' | 'tap', Apply> = {
  map: (_rt, envelope, result, out) => {
    out.push({ value: result, group: envelope.group });
  },
  filter: (rt, envelope, keep, out) => {
    if (keep) out.push(envelope);
    else rt.book.drop(envelope, false);
  },
  tap: (_rt, envelope, _result, out) => {
    out.push(envelope);
  },
  flatMap: (rt, envelope, values, out) => {
    const list = values as unknown[];
    rt.book.fanOut(envelope, list.length);
    for (const value of list) out.push({ value, group: envelope.group });
  },
};

export function loopStage(
  kind: 'map' | 'filter' | 'flatMap' | 'tap',
  fn: Call,
  name: string | undefined,
  concurrency: number,
): StageSpec {
  const apply = applies[kind];
  const call: Call = kind === 'flatMap' ? (value) => gather(fn(value)) : fn;
  return {
    kind,
    name,
    build: (upstream, rt, counters) =>
      concurrency === 1
        ? sequential(upstream, rt, counters, call, apply)
        : concurrent(upstream, {
            concurrency,
            buffer: rt.buffer,
            ordered: rt.ordered,
            signal: rt.signal,
            take: () => 1,
            work: async (batch) => {
              const out: Envelope[] = [];
              counters.enter();
              try {
                for (const envelope of batch) await one(rt, counters, call, apply, envelope, out);
              } finally {
                counters.leave();
              }
              counters.out += out.length;
              return out;
            },
          }),
  };
}

async function* sequential(
  upstream: AsyncIterable<Envelope[]>,
  rt: StageRuntime,
  counters: StageCounters,
  call: Call,
  apply: Apply,
): AsyncGenerator<Envelope[]> {
  for await (const chunk of upstream) {
    const out: Envelope[] = [];
    // Busy time per chunk, not per item: two clock reads per tiny item would cost more than it.
    counters.enter();
    try {
      for (const envelope of chunk) {
        // Cancelled: the rest of the chunk is not started (those items are redone on resume).
        if (rt.signal.aborted) break;
        const pending = one(rt, counters, call, apply, envelope, out);
        if (pending !== undefined) await pending;
      }
    } finally {
      counters.leave();
    }
    counters.out += out.length;
    if (out.length > 0) yield out;
  }
}

/** Runs one item (its caller counts busy time); returns a promise only when `call` returned one. */
function one(
  rt: StageRuntime,
  counters: StageCounters,
  call: Call,
  apply: Apply,
  envelope: Envelope,
  out: Envelope[],
): Promise<void> | undefined {
  counters.in += 1;
  let result: unknown;
  try {
    result = call(envelope.value);
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        (value) => apply(rt, envelope, value, out),
        (error: unknown) => {
          counters.failed += 1;
          rt.fail(counters, envelope, error);
        },
      );
    }
  } catch (error) {
    counters.failed += 1;
    rt.fail(counters, envelope, error);
    return undefined;
  }
  apply(rt, envelope, result, out);
  return undefined;
}

/** A flatMap result as an array: an iterable, an async iterable, or a promise of either. */
function gather(result: unknown): unknown[] | Promise<unknown[]> {
  if (isThenable(result)) return Promise.resolve(result).then(gather);
  if (Array.isArray(result)) return result;
  if (typeof result === 'object' && result !== null) {
    if (Symbol.asyncIterator in result) return gatherAsync(result as AsyncIterable<unknown>);
    if (Symbol.iterator in result) return [...(result as Iterable<unknown>)];
  }
  throw new InvalidArgumentError(
    `flatMap's function must return an iterable or async iterable (an array, a generator), got ${result === null ? 'null' : typeof result}`,
  );
}

async function gatherAsync(iterable: AsyncIterable<unknown>): Promise<unknown[]> {
  const values: unknown[] = [];
  for await (const value of iterable) values.push(value);
  return values;
}

/** `.batch(size)`: every `size` values become one array (the last may be shorter). */
export function batchStage(size: number, name: string | undefined): StageSpec {
  const kind: StageKind = 'batch';
  return {
    kind,
    name,
    async *build(upstream, rt, counters) {
      let group: Envelope[] = [];
      const merge = (envelopes: Envelope[]): Envelope => ({
        value: envelopes.map((e) => e.value),
        group: rt.book.merge(envelopes),
      });
      for await (const chunk of upstream) {
        const out: Envelope[] = [];
        for (const envelope of chunk) {
          counters.in += 1;
          group.push(envelope);
          if (group.length === size) {
            out.push(merge(group));
            group = [];
          }
        }
        counters.out += out.length;
        if (out.length > 0) yield out;
      }
      if (group.length > 0) {
        counters.out += 1;
        yield [merge(group)];
      }
    },
  };
}
