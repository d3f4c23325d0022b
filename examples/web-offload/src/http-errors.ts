/**
 * The service's own failures, and how every failure becomes an HTTP answer. Each error body
 * is `{ statusCode, code, error, message }`; clients match on `code` (a Tandem
 * `ERR_TANDEM_…` code where Tandem raised it), never on the message.
 *
 * | status | code | when |
 * |---|---|---|
 * | 400 | `FST_ERR_VALIDATION`, `FST_ERR_CTP_*` | the request does not match the route's schema, or its body is not JSON |
 * | 404 | `ERR_WEB_NOT_FOUND` | no such user or job |
 * | 413 | `FST_ERR_CTP_BODY_TOO_LARGE` | the body is over the route's `bodyLimit` |
 * | 503 | `ERR_WEB_OVERLOADED` (+ `Retry-After`) | shed before the body was read: the pool's queue is full, or its estimated wait exceeds the route's deadline |
 * | 503 | `ERR_TANDEM_QUEUE_FULL` (+ `Retry-After`) | the queue filled between admission and submit |
 * | 503 | `ERR_TANDEM_POOL_CLOSED`, `ERR_TANDEM_POOL_DESTROYED`, `ERR_TANDEM_CANCELLED` | the service is shutting down |
 * | 504 | `ERR_TANDEM_TASK_TIMEOUT` | the route's deadline passed while its task waited or ran (the task is cancelled) |
 * | 504 | `ERR_TANDEM_TIMEOUT` | a batch's deadline passed (its lookups are cancelled) |
 *
 * @module
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** Shed by admission control; `retryAfter` is in seconds. */
export class OverloadedError extends Error {
  readonly code = 'ERR_WEB_OVERLOADED' as const;
  readonly statusCode = 503;
  readonly retryAfter: number;
  constructor(retryAfter: number, why: string) {
    super(`Overloaded (${why}); retry after ${retryAfter} s`);
    this.name = 'OverloadedError';
    this.retryAfter = retryAfter;
  }
}

/** No such resource. */
export class NotFoundError extends Error {
  readonly code = 'ERR_WEB_NOT_FOUND' as const;
  readonly statusCode = 404;
  constructor(what: string) {
    super(`${what} not found`);
    this.name = 'NotFoundError';
  }
}

/** The reason a request's signal aborts when its client hangs up before the response ended. */
export class ClientClosedError extends Error {
  readonly code = 'ERR_WEB_CLIENT_CLOSED' as const;
  constructor() {
    super('The client closed the connection before the response was sent');
    this.name = 'ClientClosedError';
  }
}

/** Seconds for `Retry-After` from an estimated wait in ms: at least 1. */
export function retryAfterSeconds(waitMs: number): number {
  return Number.isFinite(waitMs) ? Math.max(1, Math.ceil(waitMs / 1000)) : 60;
}

const STATUS_BY_CODE: Record<string, number> = {
  ERR_TANDEM_TASK_TIMEOUT: 504,
  ERR_TANDEM_TIMEOUT: 504,
  ERR_TANDEM_QUEUE_FULL: 503,
  ERR_TANDEM_POOL_CLOSED: 503,
  ERR_TANDEM_POOL_DESTROYED: 503,
  ERR_TANDEM_CANCELLED: 503,
};

/** The schema of every error body (serialized by fast-json-stringify). */
export const errorBody = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string' },
    error: { type: 'string' },
    message: { type: 'string' },
  },
} as const;

/**
 * Fastify's error handler: the status from the error's code (Tandem's) or its `statusCode`
 * (fastify's and ours, 4xx and 503 only: anything else is a 500 whose message stays in the
 * log). Nothing is sent to a client that is gone.
 */
export function handleError(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply | undefined {
  const code =
    typeof (error as { code?: unknown }).code === 'string'
      ? (error as FastifyError).code
      : 'ERR_WEB_INTERNAL';
  if (error instanceof ClientClosedError || reply.raw.destroyed) return undefined;
  const own = (error as { statusCode?: unknown }).statusCode;
  let status =
    STATUS_BY_CODE[code] ??
    (typeof own === 'number' && ((own >= 400 && own < 500) || own === 503) ? own : 500);
  if (status === 503 && !reply.hasHeader('retry-after')) {
    const retryAfter = error instanceof OverloadedError ? error.retryAfter : 1;
    reply.header('retry-after', String(retryAfter));
  }
  if (status >= 500 && status !== 503 && status !== 504) {
    request.log.error({ err: error }, 'request failed');
    status = 500;
    return reply.code(status).send({
      statusCode: status,
      code,
      error: 'Internal Server Error',
      message: 'Internal error',
    });
  }
  return reply
    .code(status)
    .send({ statusCode: status, code, error: reasonPhrase(status), message: error.message });
}

function reasonPhrase(status: number): string {
  switch (status) {
    case 400:
      return 'Bad Request';
    case 404:
      return 'Not Found';
    case 413:
      return 'Payload Too Large';
    case 415:
      return 'Unsupported Media Type';
    case 503:
      return 'Service Unavailable';
    case 504:
      return 'Gateway Timeout';
    default:
      return 'Error';
  }
}
