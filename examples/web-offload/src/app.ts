/**
 * The service: an engine (its pool runs `src/tasks.ts`), the CPU backend chosen by `cpu`, and
 * a fastify 5 app with the routes. `startService` builds it and listens on 127.0.0.1;
 * `service.close(grace)` is the graceful stop SIGTERM runs.
 *
 * @module
 */
import { defaultThreads, Engine, type Limiter, limiter } from '@tandem/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { BackgroundJobs } from './background.ts';
import {
  type CpuBackend,
  type CpuMode,
  inlineBackend,
  piscinaBackend,
  tandemBackend,
} from './cpu-backend.ts';
import { handleError, NotFoundError } from './http-errors.ts';
import { healthRoute } from './routes-health.ts';
import { metricsRoute } from './routes-metrics.ts';
import { renderRoute } from './routes-render.ts';
import { userRoutes } from './routes-users.ts';
import type tasks from './tasks.ts';
import { UserStore, type UserStoreOptions } from './user-store.ts';

export interface ServiceOptions {
  /** Port on 127.0.0.1; 0 picks a free one. Default 0. */
  readonly port?: number;
  /** Where `POST /render` runs. Default `'tandem'`. */
  readonly cpu?: CpuMode;
  /** Worker threads (of the engine, and of the Piscina pool with `cpu: 'piscina'`). Default: cores − 1. */
  readonly threads?: number;
  /** Renders (and batches) that wait or run longer than this answer 504. Default 2 000 ms. */
  readonly deadline?: number;
  /** Largest `POST /render` body, in bytes. Default 1 MiB. */
  readonly renderBodyLimit?: number;
  /** Largest body of the other routes, in bytes. Default 16 KiB. */
  readonly bodyLimit?: number;
  /** Ms a cancelled task may run on before its worker is terminated. Default 1 000. */
  readonly grace?: number;
  /** Tasks that may wait for a worker. Default 16 × threads. */
  readonly maxQueue?: number;
  /** Store lookups in flight at once, across requests. Default 16. */
  readonly lookups?: number;
  readonly store?: UserStoreOptions;
  /** The engine's task module (tests swap in a fixture that also defines `render`). */
  readonly tasks?: URL;
  /** fastify's logger (pino, to stderr). Default off. */
  readonly logger?: boolean;
}

export interface Service {
  readonly app: FastifyInstance;
  readonly engine: Engine<typeof tasks>;
  readonly cpu: CpuBackend;
  readonly jobs: BackgroundJobs;
  /** Caps the store lookups in flight across requests. */
  readonly lookups: Limiter;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /**
   * Stops accepting connections, lets in-flight requests and background jobs finish, closes
   * fastify, the CPU backend and the engine. Whatever is still running after `grace` ms is
   * cut off: connections closed (their requests' tasks cancelled), jobs aborted, the pool's
   * tasks destroyed. `grace` defaults to 10 000 ms; `Infinity` waits for ever. Idempotent.
   */
  close(grace?: number): Promise<void>;
}

export async function startService(options: ServiceOptions = {}): Promise<Service> {
  const threads = options.threads ?? defaultThreads();
  const deadline = options.deadline ?? 2_000;
  const engine = await Engine.start<typeof tasks>({
    tasks: options.tasks ?? new URL('./tasks.ts', import.meta.url),
    threads,
    ...(options.maxQueue === undefined ? {} : { maxQueue: options.maxQueue }),
    // A full queue answers 503 at once rather than holding the request.
    onFull: 'reject',
    grace: options.grace ?? 1_000,
  });
  const mode = options.cpu ?? 'tandem';
  const cpu =
    mode === 'tandem'
      ? tandemBackend(engine)
      : mode === 'piscina'
        ? piscinaBackend(threads)
        : inlineBackend();
  const jobs = new BackgroundJobs();
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 16 * 1024,
    // No coercion: `{ "markdown": 42 }` is a 400, not the string "42"; unknown properties
    // are refused rather than silently dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request) => {
    throw new NotFoundError(`Route ${request.method} ${request.url}`);
  });
  const store = new UserStore(options.store);
  const lookups = limiter({ concurrency: options.lookups ?? 16 });
  userRoutes(app, { engine, store, lookups, cpu, jobs, deadline });
  renderRoute(app, { cpu, deadline, bodyLimit: options.renderBodyLimit ?? 1024 * 1024 });
  healthRoute(app, { engine, cpu, jobs, deadline });
  metricsRoute(app, engine);

  // Once the close has begun, every answer ends its connection, and connections left idle
  // are closed: a keep-alive connection would otherwise keep the server open until the client
  // closes it or the keep-alive timeout (72 s) passes. The sweep catches a connection whose
  // answer went out just before the close began (not idle yet when the server looked).
  let draining = false;
  let sweep: NodeJS.Timeout | undefined;
  app.addHook('preClose', async () => {
    draining = true;
    sweep = setInterval(() => app.server.closeIdleConnections(), 100).unref();
  });
  app.addHook('onSend', async (_request, reply) => {
    if (draining) reply.header('connection', 'close');
  });

  let closing: Promise<void> | undefined;
  let until = Number.POSITIVE_INFINITY;
  const left = () => Math.max(0, until - performance.now());
  // fastify runs its own onClose (stop accepting, wait for the requests in flight) before
  // the hooks added here: by then no request needs the engine any more.
  app.addHook('onClose', async () => {
    clearInterval(sweep);
    await jobs.drain(left());
    await cpu.close();
    await engine.close({ timeout: left() });
  });
  try {
    await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  } catch (error) {
    await app.close();
    throw error;
  }
  const { port } = app.server.address() as { port: number };
  return {
    app,
    engine,
    cpu,
    jobs,
    lookups,
    url: `http://127.0.0.1:${port}`,
    close(grace = 10_000) {
      closing ??= (async () => {
        until = performance.now() + grace;
        // Requests still in flight when the grace runs out lose their connection: their
        // signals abort, which cancels their tasks.
        const cutOff =
          grace < 2 ** 31 ? setTimeout(() => app.server.closeAllConnections(), grace) : undefined;
        try {
          await app.close();
        } finally {
          clearTimeout(cutOff);
        }
      })();
      return closing;
    },
  };
}
