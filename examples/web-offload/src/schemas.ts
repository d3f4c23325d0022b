/**
 * JSON schemas of the routes: requests are validated by them (no type coercion: a number
 * where a string belongs is a 400) and responses serialized by fast-json-stringify.
 *
 * @module
 */
import { errorBody } from './http-errors.ts';

/** A user id in a path: digits, 1 to 2³¹ − 1 (checked again as a number). */
const idParam = { type: 'string', pattern: '^[1-9][0-9]{0,9}$' } as const;
const MAX_ID = 2 ** 31 - 1;

const user = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    email: { type: 'string' },
  },
} as const;

export const getUser = {
  params: { type: 'object', properties: { id: idParam }, required: ['id'] },
  response: { 200: user, '4xx': errorBody, '5xx': errorBody },
} as const;

/** At most this many ids per batch. */
export const MAX_BATCH = 100;

export const batchUsers = {
  body: {
    type: 'object',
    properties: {
      ids: {
        type: 'array',
        minItems: 1,
        maxItems: MAX_BATCH,
        items: { type: 'integer', minimum: 1, maximum: MAX_ID },
      },
    },
    required: ['ids'],
    additionalProperties: false,
  },
  response: {
    200: {
      type: 'object',
      properties: {
        users: { type: 'array', items: user },
        missing: { type: 'array', items: { type: 'integer' } },
      },
    },
    '4xx': errorBody,
    '5xx': errorBody,
  },
} as const;

export const render = {
  body: {
    type: 'object',
    properties: { markdown: { type: 'string' } },
    required: ['markdown'],
    additionalProperties: false,
  },
  response: {
    200: {
      type: 'object',
      properties: {
        html: { type: 'string' },
        words: { type: 'integer' },
        digest: { type: 'string' },
      },
    },
    '4xx': errorBody,
    '5xx': errorBody,
  },
} as const;

/** `GET /render?markdown=…`: the query string is bounded by Node's header limit (16 KiB). */
export const renderQuery = {
  querystring: {
    type: 'object',
    properties: { markdown: { type: 'string' } },
    required: ['markdown'],
    additionalProperties: false,
  },
  response: render.response,
} as const;

export const welcome = {
  params: { type: 'object', properties: { id: idParam }, required: ['id'] },
  response: {
    202: { type: 'object', properties: { job: { type: 'string' } } },
    '4xx': errorBody,
    '5xx': errorBody,
  },
} as const;

export const getJob = {
  params: {
    type: 'object',
    properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,15}$' } },
    required: ['id'],
  },
  response: {
    200: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        state: { type: 'string', enum: ['pending', 'done', 'failed'] },
        code: { type: 'string' },
        result: {
          type: 'object',
          properties: { words: { type: 'integer' }, digest: { type: 'string' } },
        },
      },
    },
    '4xx': errorBody,
    '5xx': errorBody,
  },
} as const;

const latency = {
  type: 'object',
  properties: {
    p50: { type: 'number' },
    p99: { type: 'number' },
    max: { type: 'number' },
  },
} as const;

const healthBody = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'overloaded'] },
    cpu: { type: 'string' },
    reason: { type: 'string' },
    loop: latency,
    pool: {
      type: 'object',
      properties: {
        threads: { type: 'integer' },
        queued: { type: 'integer' },
        maxQueue: { type: 'integer' },
        inWorkers: { type: 'integer' },
        workersBusy: { type: 'integer' },
        utilization: { type: 'number' },
        estimatedWaitMs: { type: 'number' },
      },
    },
    background: { type: 'integer' },
  },
} as const;

export const health = { response: { 200: healthBody, 503: healthBody } } as const;

/** Parses an id the schema let through (digits only); undefined past 2³¹ − 1. */
export function parseId(text: string): number | undefined {
  const id = Number(text);
  return Number.isSafeInteger(id) && id >= 1 && id <= MAX_ID ? id : undefined;
}
