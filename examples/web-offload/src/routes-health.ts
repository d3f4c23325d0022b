/**
 * `GET /health`: the loop's delay and the pool's saturation; 503 (with `Retry-After`) while
 * the CPU route would shed, so a load balancer stops sending work before requests fail.
 *
 * @module
 */
import type { Engine } from '@tandem/core';
import type { FastifyInstance } from 'fastify';
import type { BackgroundJobs } from './background.ts';
import type { CpuBackend } from './cpu-backend.ts';
import * as schemas from './schemas.ts';

export function healthRoute(
  app: FastifyInstance,
  deps: { engine: Engine; cpu: CpuBackend; jobs: BackgroundJobs; deadline: number },
): void {
  const { engine, cpu, jobs, deadline } = deps;
  app.get('/health', { schema: schemas.health }, async (_request, reply) => {
    const { pool, loop } = engine.stats();
    const shed = cpu.shed(deadline);
    const body = {
      status: shed === undefined ? 'ok' : 'overloaded',
      cpu: cpu.mode,
      ...(shed === undefined ? {} : { reason: shed.why }),
      loop: { p50: loop.p50, p99: loop.p99, max: loop.max },
      pool: {
        threads: pool.threads,
        queued: pool.queued,
        maxQueue: pool.maxQueue,
        inWorkers: pool.inWorkers,
        workersBusy: pool.workersBusy,
        utilization: pool.utilization,
        estimatedWaitMs: engine.pool.estimateWait('render'),
      },
      background: jobs.running,
    };
    if (shed !== undefined) reply.code(503).header('retry-after', String(shed.retryAfter));
    return body;
  });
}
