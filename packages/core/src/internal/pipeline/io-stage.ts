/**
 * `.io(fn)`: an async function per item on the loop, `concurrency` at once, each attempt
 * under the stage's timeout and a permit of its limiter (whose key's limit adapts to the
 * outcome), retried as the stage's retry policy says. Every attempt is recorded, so a dead
 * letter or `PipelineItemError` shows the whole story, not only the last error.
 *
 * @module
 */
import { clock, InvalidArgumentError } from '@tandem/workers';
import type { PipelineAttempt } from '../../errors.js';
import type { Limiter } from '../../limiter.js';
import type { IoContext } from '../../pipeline-options.js';
import { type RetryOptions, retry } from '../../retry.js';
import { timeout } from '../../time.js';
import { concurrent } from './concurrent.js';
import type { Envelope } from './groups.js';
import {
  isThenable,
  type StageCounters,
  type StageRuntime,
  type StageSpec,
} from './stage-runtime.js';

export interface IoStagePolicy {
  readonly concurrency: number;
  readonly timeout: number;
  readonly retry: Omit<RetryOptions, 'signal'> | undefined;
  readonly limiter: Limiter | undefined;
  readonly key: ((item: unknown) => string) | undefined;
}

type IoFn = (item: unknown, context: IoContext) => unknown;

export function ioStage(fn: IoFn, name: string | undefined, policy: IoStagePolicy): StageSpec {
  return {
    kind: 'io',
    name,
    build: (upstream, rt, counters) =>
      concurrent(upstream, {
        concurrency: policy.concurrency,
        buffer: rt.buffer,
        ordered: rt.ordered,
        signal: rt.signal,
        take: () => 1,
        work: async (batch) => {
          const out: Envelope[] = [];
          for (const envelope of batch) {
            counters.in += 1;
            counters.enter();
            const attempts: PipelineAttempt[] = [];
            try {
              const value = await runItem(fn, policy, rt, counters, envelope.value, attempts);
              out.push({ value, group: envelope.group });
            } catch (error) {
              counters.failed += 1;
              rt.fail(counters, envelope, unwrapRetry(error), attempts);
            } finally {
              counters.leave();
            }
          }
          counters.out += out.length;
          return out;
        },
      }),
  };
}

function runItem(
  fn: IoFn,
  policy: IoStagePolicy,
  rt: StageRuntime,
  counters: StageCounters,
  item: unknown,
  attempts: PipelineAttempt[],
): Promise<unknown> {
  const { limiter, key } = policy;
  const limiterKey = key === undefined ? '' : key(item);
  if (typeof limiterKey !== 'string') {
    // A promise is refused; its rejection must not go unhandled.
    if (isThenable(limiterKey)) Promise.resolve(limiterKey).catch(() => {});
    throw new InvalidArgumentError(
      `The io stage's key() must return a string, got ${typeof limiterKey}`,
    );
  }
  const attempt = async (signal: AbortSignal, n: number): Promise<unknown> => {
    if (n > 1) rt.retried(counters);
    const started = clock().now();
    const call = (s: AbortSignal) => fn(item, { signal: s, attempt: n });
    // The timeout starts once the permit is granted (as in p-queue): waiting behind a per-key
    // limit is not the attempt's fault.
    const timed = (s: AbortSignal) =>
      Number.isFinite(policy.timeout)
        ? timeout(policy.timeout, (scope) => call(scope.signal))
        : call(s);
    try {
      return await (limiter === undefined
        ? timed(signal)
        : limiter.run((joined) => timed(joined ?? signal), { key: limiterKey, signal }));
    } catch (error) {
      attempts.push({ attempt: n, ms: clock().now() - started, error });
      throw error;
    }
  };
  if (policy.retry === undefined) return attempt(rt.signal, 1);
  // Runs inside the run's scope (async context), so its cancellation reaches the retries.
  return retry(attempt, { retryAfter: readRetryAfter, ...policy.retry });
}

/** The default `retryAfter`: a `retryAfter` number (ms) on the error, as from HTTP `Retry-After`. */
function readRetryAfter(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const ms = (error as { retryAfter?: unknown }).retryAfter;
  return typeof ms === 'number' && !Number.isNaN(ms) ? ms : undefined;
}

/** `retry()`'s exhaustion wraps the last error; the item's own error is what deciders want. */
function unwrapRetry(error: unknown): unknown {
  const e = error as { code?: unknown; cause?: unknown } | null;
  return typeof e === 'object' && e !== null && e.code === 'ERR_TANDEM_RETRY_EXHAUSTED'
    ? e.cause
    : error;
}
