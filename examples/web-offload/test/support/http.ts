/**
 * A small HTTP client over node:http (so a test sees whether a connection was reused, and can
 * hang up at any instant), and the service started for a test and closed after it.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Agent, type ClientRequest, type IncomingHttpHeaders, request } from 'node:http';
import type { TestContext } from 'node:test';
import type { TaskSettledEvent } from '@tandem/core';
import { type Service, type ServiceOptions, startService } from '../../src/app.ts';

export const fixtureTasks = new URL('../fixtures/tasks.ts', import.meta.url);

export interface TestService extends Service {
  /** Every task that settled so far, in order. */
  readonly settled: TaskSettledEvent[];
  /** Resolves with the next settled task's event. */
  nextSettled(): Promise<TaskSettledEvent>;
}

/**
 * The service on 127.0.0.1 with the fixture task module, one thread and a deadline of a
 * minute (a held render must outlive a slow machine's file events); closed after the test.
 */
export async function serve(t: TestContext, options: ServiceOptions = {}): Promise<TestService> {
  const service = await startService({
    tasks: fixtureTasks,
    threads: 1,
    deadline: 60_000,
    ...options,
  });
  t.after(() => service.close(0));
  const settled: TaskSettledEvent[] = [];
  let waiters: ((event: TaskSettledEvent) => void)[] = [];
  const unsubscribe = service.engine.pool.onSettled((event) => {
    settled.push(event);
    const woken = waiters;
    waiters = [];
    for (const wake of woken) wake(event);
  });
  t.after(unsubscribe);
  return {
    ...service,
    settled,
    nextSettled: () => new Promise<TaskSettledEvent>((resolve) => waiters.push(resolve)),
  };
}

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  readonly body: any;
  /** The request went on a connection an earlier request had used (keep-alive). */
  readonly reused: boolean;
}

export interface Call {
  readonly method?: string;
  /** Sent as JSON unless it is a string or a Buffer. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly agent?: Agent;
}

/** Starts a request; `answer` resolves with the whole response. */
export function start(
  url: string,
  call: Call = {},
): { req: ClientRequest; answer: Promise<Answer> } {
  const raw =
    call.body === undefined
      ? undefined
      : typeof call.body === 'string' || Buffer.isBuffer(call.body)
        ? call.body
        : JSON.stringify(call.body);
  const req = request(url, {
    method: call.method ?? (raw === undefined ? 'GET' : 'POST'),
    agent: call.agent ?? false,
    headers: {
      ...(raw === undefined ? {} : { 'content-type': 'application/json' }),
      ...call.headers,
    },
  });
  const answer = (async () => {
    const [response] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
    let text = '';
    response.setEncoding('utf8');
    for await (const chunk of response) text += chunk;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return {
      status: response.statusCode ?? 0,
      headers: response.headers,
      text,
      body,
      reused: req.reusedSocket,
    };
  })();
  if (raw !== undefined) req.end(raw);
  else req.end();
  return { req, answer };
}

/** One request, to its answer. */
export function send(url: string, call: Call = {}): Promise<Answer> {
  return start(url, call).answer;
}

/** A keep-alive agent with one connection, destroyed after the test. */
export function keepAlive(t: TestContext): Agent {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  return agent;
}

/** Resolves once `answer` failed with ECONNRESET (we hung up); an answer fails the test with it. */
export function hungUpOn(answer: Promise<Answer>): Promise<void> {
  return answer.then(
    (got) => assert.fail(`expected no answer (we hung up), got ${got.status} ${got.text}`),
    (error: { code?: string }) => assert.equal(error.code, 'ECONNRESET'),
  );
}
