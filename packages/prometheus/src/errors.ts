/**
 * The collector's own failure. Match on `error.code`, never on the message.
 *
 * @module
 */
import { TandemError } from '@tandem/core';

/**
 * The registry already holds a metric of a name the collector needs: a second collector on
 * the same registry and prefix, or a metric of your own. Nothing was registered.
 */
export class DuplicateMetricError extends TandemError {
  override readonly code = 'ERR_TANDEM_DUPLICATE_METRIC' as const;
  /** The name already taken. */
  readonly metric: string;
  constructor(metric: string) {
    super(
      `The registry already has a metric named ${metric}. Give each engine its own prefix ` +
        `(collectEngineMetrics(engine, { prefix: 'tandem_jobs_' })) or registry, or close the ` +
        `first collector before starting another.`,
    );
    this.metric = metric;
  }
}
