/**
 * The light routes: `GET /users/:id` (one store lookup, I/O on the loop),
 * `POST /users/batch` (a fan-out in an engine scope, through a limiter that caps the
 * store's concurrent lookups), and the background job `POST /users/:id/welcome` (202 at once;
 * the user's bio is rendered in the pool after the response) with `GET /jobs/:id`.
 *
 * @module
 */
import type { Engine, Limiter } from '@tandem/core';
import type { FastifyInstance } from 'fastify';
import type { BackgroundJobs } from './background.ts';
import type { CpuBackend } from './cpu-backend.ts';
import { NotFoundError } from './http-errors.ts';
import { requestSignal } from './request-signal.ts';
import * as schemas from './schemas.ts';
import type { User, UserStore } from './user-store.ts';

export interface UserRoutesDeps {
  readonly engine: Engine;
  readonly store: UserStore;
  /** Caps the lookups in flight across every request (the store's connection pool). */
  readonly lookups: Limiter;
  readonly cpu: CpuBackend;
  readonly jobs: BackgroundJobs;
  /** Ms a batch, or a background render, may take. */
  readonly deadline: number;
}

export function userRoutes(app: FastifyInstance, deps: UserRoutesDeps): void {
  const { engine, store, lookups, cpu, jobs, deadline } = deps;

  app.get<{ Params: { id: string } }>(
    '/users/:id',
    { schema: schemas.getUser },
    async (request, reply) => {
      const id = schemas.parseId(request.params.id);
      const user =
        id === undefined ? undefined : await store.get(id, requestSignal(request, reply));
      if (user === undefined) throw new NotFoundError(`User ${request.params.id}`);
      return user;
    },
  );

  app.post<{ Body: { ids: number[] } }>(
    '/users/batch',
    { schema: schemas.batchUsers },
    async (request, reply) => {
      const ids = [...new Set(request.body.ids)];
      const found = new Map<number, User>();
      // A task group: the client hanging up or the deadline passing cancels every lookup
      // still waiting for the limiter or the store; the scope returns once all have settled.
      await engine.scope({ signal: requestSignal(request, reply), timeout: deadline }, (s) => {
        for (const id of ids) {
          s.spawn(async (signal) => {
            const user = await lookups.run((inner) => store.get(id, inner), { signal });
            if (user !== undefined) found.set(id, user);
          });
        }
      });
      return {
        users: ids.flatMap((id) => found.get(id) ?? []),
        missing: ids.filter((id) => !found.has(id)),
      };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/users/:id/welcome',
    { schema: schemas.welcome },
    async (request, reply) => {
      const id = schemas.parseId(request.params.id);
      if (id === undefined || id > store.size) throw new NotFoundError(`User ${request.params.id}`);
      const job = jobs.afterResponse(reply, async (signal) => {
        const user = await store.get(id, signal);
        const { words, digest } = await cpu.render(
          { markdown: user?.bio ?? '' },
          { signal, deadline },
        );
        return { words, digest };
      });
      return reply.code(202).send({ job });
    },
  );

  app.get<{ Params: { id: string } }>('/jobs/:id', { schema: schemas.getJob }, async (request) => {
    const job = jobs.get(request.params.id);
    if (job === undefined) throw new NotFoundError(`Job ${request.params.id}`);
    return job;
  });
}
