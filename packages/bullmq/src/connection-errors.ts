/**
 * Which Redis failures mean "the connection is down, try again" (as opposed to a refusal the
 * same command would meet again). A command retried after one of these is safe here because
 * every job id is ours: a second add of the same id is a no-op.
 *
 * @module
 */
import { startTimer } from '@tandem/workers/internal';

const TRANSIENT =
  /Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ENOTFOUND|Stream isn't writeable|max retries per request|LOADING|READONLY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN/i;

/** True for a dropped or refused connection, a command given up after reconnect attempts, or Redis still loading. */
export function isConnectionError(error: unknown): boolean {
  try {
    if (typeof error !== 'object' || error === null) return false;
    const { name, code, message } = error as { name?: unknown; code?: unknown; message?: unknown };
    if (name === 'MaxRetriesPerRequestError') return true;
    if (typeof code === 'string' && TRANSIENT.test(code)) return true;
    return typeof message === 'string' && TRANSIENT.test(message);
  } catch {
    return false;
  }
}

/** Resolves after `ms` without keeping the process alive. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => startTimer(ms, resolve, true));
}
