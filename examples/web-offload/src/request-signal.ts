/**
 * `requestSignal(request, reply)`: an `AbortSignal` that aborts when the client goes away
 * before its response has been sent — the signal to pass to the request's CPU and I/O work.
 *
 * Why the response's lifecycle, and not one of the obvious sources:
 * - fastify 5's `request.signal` aborts as soon as a POST body has been read (fastify#6725),
 *   so it would cancel every POST's work;
 * - `request.raw`'s 'close' fires once the request body is consumed, on a completed request too;
 * - the socket's 'close' never fires per request on a keep-alive connection (the socket
 *   outlives the request), and fires late for a request that is long done.
 * The response (`reply.raw`) emits 'close' exactly once per request: after 'finish' when the
 * answer went out, or without it when the connection dropped first. So "closed and not
 * `writableFinished`" means the client hung up, whatever the method and connection reuse.
 *
 * @module
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientClosedError } from './http-errors.ts';

const signals = new WeakMap<FastifyRequest, AbortSignal>();

/**
 * The request's cancellation signal: aborts with `ClientClosedError`
 * (`ERR_WEB_CLIENT_CLOSED`) when the client closes the connection before the response has
 * been written; never aborts for a request answered normally. One signal per request (later
 * calls return the same one); already aborted when the client had gone by the first call.
 *
 * @example
 * app.post('/render', async (request, reply) =>
 *   engine.run('render', request.body, { signal: requestSignal(request, reply) }));
 */
export function requestSignal(request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const known = signals.get(request);
  if (known !== undefined) return known;
  const controller = new AbortController();
  signals.set(request, controller.signal);
  const response = reply.raw;
  const onClose = () => {
    if (!response.writableFinished) controller.abort(new ClientClosedError());
  };
  // The response may have closed before anyone asked (a hang-up while the body was parsed).
  if (response.destroyed || request.raw.socket?.destroyed === true) onClose();
  else response.once('close', onClose);
  return controller.signal;
}
