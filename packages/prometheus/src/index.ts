/**
 * `@tandem/prometheus`: an engine's metrics in a prom-client registry (docs/metrics.md).
 *
 * @module
 */
export type { EngineMetrics } from './collector.js';
export { collectEngineMetrics } from './collector.js';
export { DuplicateMetricError } from './errors.js';
export type { EngineMetricsOptions } from './options.js';
export { DEFAULT_BUCKETS, MAX_BUCKETS } from './options.js';
