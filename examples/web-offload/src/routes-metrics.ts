/**
 * `GET /metrics`: the Prometheus exposition of the engine (`@tandem/prometheus`: tasks by name
 * and outcome, run and queue-wait histograms, queue depth, workers, the CPU time spent on
 * tasks whose client had gone, the event loop) and of the process (prom-client's default
 * metrics: CPU, memory, handles). Gauges are read at scrape time; the request path pays a few
 * counter increments per task.
 *
 * @module
 */
import type { Engine } from '@tandem/core';
import { collectEngineMetrics } from '@tandem/prometheus';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';

/** Registers the route; the collector stops when the app closes. */
export function metricsRoute(app: FastifyInstance, engine: Engine): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = collectEngineMetrics(engine, { registry });
  app.addHook('onClose', async () => {
    metrics.close();
    registry.clear();
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}
