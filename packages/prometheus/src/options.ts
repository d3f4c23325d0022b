/**
 * `collectEngineMetrics`' options, checked at the boundary.
 *
 * @module
 */
import { type Engine, InvalidArgumentError, OutOfRangeError, type TaskBackend } from '@tandem/core';
import { type Registry, type RegistryContentType, register } from 'prom-client';

/** Options of {@link collectEngineMetrics}. */
export interface EngineMetricsOptions {
  /** The registry to register in. Default: prom-client's global `register`. */
  registry?: Registry<RegistryContentType>;
  /**
   * Put before every metric name. Default `'tandem_'`. Must match `[a-zA-Z_:][a-zA-Z0-9_:]*`
   * (or be empty); give two engines of one process two prefixes (or two registries).
   */
  prefix?: string;
  /**
   * Upper bounds, in seconds, of the buckets of the task duration and queue-wait histograms:
   * 1 to 64 finite numbers > 0, strictly increasing (`+Inf` is always added). Default
   * {@link DEFAULT_BUCKETS}, 100 µs to 10 s.
   */
  buckets?: readonly number[];
}

/** 100 µs … 10 s, 1-2.5-5 steps: a tiny task's hop and a long render both fall inside. */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/** The most buckets a histogram may have: each costs a series per task name. */
export const MAX_BUCKETS = 64;

export interface ResolvedOptions {
  registry: Registry<RegistryContentType>;
  prefix: string;
  buckets: readonly number[];
}

/**
 * The parts of an engine the collector uses: any `Engine`, on local threads or on a backend
 * such as `@tandem/bullmq`'s.
 */
export type MeasuredEngine = Pick<Engine, 'stats'> & {
  readonly pool: Pick<TaskBackend, 'onSettled' | 'taskNames'>;
};

/** The parts of an engine the collector uses (checked by shape: any copy of core will do). */
export function checkEngine(engine: unknown): asserts engine is MeasuredEngine {
  const e = engine as { stats?: unknown; pool?: { onSettled?: unknown; taskNames?: unknown } };
  const ok =
    typeof engine === 'object' &&
    engine !== null &&
    typeof e.stats === 'function' &&
    typeof e.pool === 'object' &&
    e.pool !== null &&
    typeof e.pool.onSettled === 'function' &&
    (Array.isArray(e.pool.taskNames) || e.pool.taskNames === undefined);
  if (!ok) {
    throw new InvalidArgumentError(
      `Expected engine to be an Engine (from Engine.start()), got ${describe(engine)}`,
    );
  }
  if (e.pool?.taskNames === undefined) {
    // The task label takes the module's names only (bounded cardinality), so they must be known.
    throw new InvalidArgumentError(
      "The engine's backend cannot name its tasks yet (a @tandem/bullmq producer learns them from the workers registered in Redis): start a worker first, then the engine and collectEngineMetrics",
    );
  }
}

/**
 * Reads `options` once (its own enumerable properties) and checks each.
 *
 * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`), OutOfRangeError
 * (`ERR_TANDEM_OUT_OF_RANGE`).
 */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new InvalidArgumentError(`Expected options to be an object, got ${describe(options)}`);
  }
  const {
    registry = register,
    prefix = 'tandem_',
    buckets = DEFAULT_BUCKETS,
  } = {
    ...(options as EngineMetricsOptions | undefined),
  };
  return {
    registry: checkRegistry(registry),
    prefix: checkPrefix(prefix),
    buckets: checkBuckets(buckets),
  };
}

function checkRegistry(registry: unknown): Registry<RegistryContentType> {
  const r = registry as Record<string, unknown> | null;
  const ok =
    typeof registry === 'object' &&
    registry !== null &&
    ['registerMetric', 'getSingleMetric', 'removeSingleMetric'].every(
      (method) => typeof r?.[method] === 'function',
    );
  if (!ok) {
    throw new InvalidArgumentError(
      `Expected options.registry to be a prom-client Registry, got ${describe(registry)}`,
    );
  }
  return registry as Registry<RegistryContentType>;
}

function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || !/^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/.test(prefix)) {
    throw new InvalidArgumentError(
      `Expected options.prefix to be a metric name prefix matching [a-zA-Z_:][a-zA-Z0-9_:]*, got ${describe(prefix)}`,
    );
  }
  return prefix;
}

function checkBuckets(buckets: unknown): readonly number[] {
  if (!Array.isArray(buckets)) {
    throw new InvalidArgumentError(
      `Expected options.buckets to be an array of numbers, got ${describe(buckets)}`,
    );
  }
  if (buckets.length < 1 || buckets.length > MAX_BUCKETS) {
    throw new OutOfRangeError(
      `Expected options.buckets to hold 1 to ${MAX_BUCKETS} bounds, got ${buckets.length}`,
    );
  }
  const copy: number[] = [];
  for (const [i, bound] of buckets.entries()) {
    if (typeof bound !== 'number') {
      throw new InvalidArgumentError(
        `Expected options.buckets[${i}] to be a number, got ${describe(bound)}`,
      );
    }
    const previous = copy[i - 1] ?? 0;
    if (!Number.isFinite(bound) || bound <= previous) {
      throw new OutOfRangeError(
        `Expected options.buckets[${i}] > ${previous} and finite (bounds strictly increasing), got ${bound}`,
      );
    }
    copy.push(bound);
  }
  return Object.freeze(copy);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (typeof value === 'object' || typeof value === 'function') {
    let name: unknown;
    try {
      name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    } catch {
      // A hostile getter (or a revoked Proxy): the type alone will do.
    }
    return typeof name === 'string' && name !== '' ? `an instance of ${name}` : typeof value;
  }
  return `${typeof value} ${String(value)}`;
}
