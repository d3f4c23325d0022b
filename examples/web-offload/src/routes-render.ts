/**
 * The CPU route, `POST /render` `{ markdown }` → `{ html, words, digest }` (and
 * `GET /render?markdown=…` for short documents), and its admission
 * control. `@fastify/under-pressure` watches the event loop, which stays idle when the CPU
 * work is in threads, so it never trips; this sheds from the pool's own state instead, in
 * `onRequest` — before the body is read, so a shed request costs no parsing.
 *
 * @module
 */
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import type { CpuBackend } from './cpu-backend.ts';
import { OverloadedError } from './http-errors.ts';
import type { RenderInput } from './render.ts';
import { requestSignal } from './request-signal.ts';
import * as schemas from './schemas.ts';

export interface RenderRouteOptions {
  readonly cpu: CpuBackend;
  /** Ms from the request's arrival to its task's end, queue time included. */
  readonly deadline: number;
  /** Largest body, in bytes (413 past it). */
  readonly bodyLimit: number;
}

/**
 * Sheds with 503 `ERR_WEB_OVERLOADED` and `Retry-After` when the pool's queue is full or its
 * estimated wait exceeds the route's deadline (the request would time out anyway).
 */
export function admission(cpu: CpuBackend, deadline: number): onRequestHookHandler {
  return async () => {
    const shed = cpu.shed(deadline);
    if (shed !== undefined) throw new OverloadedError(shed.retryAfter, shed.why);
  };
}

export function renderRoute(app: FastifyInstance, options: RenderRouteOptions): void {
  const { cpu, deadline, bodyLimit } = options;
  app.post<{ Body: RenderInput }>(
    '/render',
    { schema: schemas.render, bodyLimit, onRequest: admission(cpu, deadline) },
    // The deadline counts from here, after the body was read: the admission check estimated
    // the wait from the pool's state at arrival, and parsing a body is not the pool's time.
    (request, reply) =>
      cpu.render(request.body, { signal: requestSignal(request, reply), deadline }),
  );
  app.get<{ Querystring: RenderInput }>(
    '/render',
    { schema: schemas.renderQuery, onRequest: admission(cpu, deadline) },
    (request, reply) =>
      cpu.render(
        { markdown: request.query.markdown },
        { signal: requestSignal(request, reply), deadline },
      ),
  );
}
