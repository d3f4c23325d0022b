/**
 * comlink's endpoint over a Node `Worker` or `MessagePort`, which answers every call even when
 * a message cannot be sent. comlink posts from inside a promise and forgets the call when
 * `postMessage` throws: the caller gets a raw `DataCloneError` (and comlink's pending entry
 * leaks), and an answer that cannot be sent becomes an uncoded "Unserializable return value".
 * Here a call whose arguments cannot be sent is answered on the spot with
 * `UncloneableInputError`, and an answer that cannot be sent is replaced by
 * `UncloneableResultError`, each naming the path of the culprit (`args[0].list[1]`, `result.fn`).
 * Messages that go through cost one `try` more; only a failed one is inspected.
 *
 * @module
 */
import type { MessagePort, TransferListItem, Worker } from 'node:worker_threads';
import { transferHandlers } from 'comlink';
import { UncloneableInputError, UncloneableResultError } from './errors.js';
import { inspectValue, type Problem } from './transfer.js';

type Listener =
  | ((event: { data: unknown }) => void)
  | { handleEvent(event: { data: unknown }): void };

/** What comlink needs of an endpoint (comlink's own type names the DOM's event types). */
export interface Endpoint {
  postMessage(message: unknown, transfer?: unknown[]): void;
  addEventListener(type: string, listener: Listener): void;
  removeEventListener(type: string, listener: Listener): void;
  start?: () => void;
}

/** A comlink message: a call (it has a `path`) or an answer to one (same `id`). */
interface Message {
  id?: unknown;
  type?: unknown;
  path?: unknown;
  argumentList?: unknown;
  value?: unknown;
}

export function nodeEndpoint(port: Worker | MessagePort): Endpoint {
  const handlers = new Map<Listener, (data: unknown) => void>();
  /** Calls received here and not answered yet: id → method, to name a failed answer. */
  const received = new Map<unknown, string>();
  return {
    postMessage(message, transfer) {
      const { id, path } = (message ?? {}) as Message;
      const isCall = Array.isArray(path);
      const method = isCall ? undefined : received.get(id);
      if (!isCall) received.delete(id);
      try {
        port.postMessage(message, transfer as TransferListItem[] | undefined);
      } catch (error) {
        if (id === undefined) throw error;
        if (isCall) {
          // The call never left: answer it here, as the other side would have.
          const refusal = thrown(id, inputError(message as Message, error));
          queueMicrotask(() => {
            for (const handler of handlers.values()) handler(refusal);
          });
        } else {
          port.postMessage(thrown(id, resultError(method, message as Message, error)));
        }
      }
    },
    addEventListener(_type, listener) {
      const handler = (data: unknown) => {
        const { id, path } = (data ?? {}) as Message;
        if (id !== undefined && Array.isArray(path)) received.set(id, path.join('.'));
        if (typeof listener === 'function') listener({ data });
        else listener.handleEvent({ data });
      };
      handlers.set(listener, handler);
      port.on('message', handler);
    },
    removeEventListener(_type, listener) {
      const handler = handlers.get(listener);
      if (handler === undefined) return;
      handlers.delete(listener);
      port.off('message', handler);
    },
  };
}

/**
 * The error for arguments that cannot be sent to a service method, with the path of the
 * first culprit; undefined when none of them is to blame.
 */
export function uncloneableArguments(
  method: string,
  args: readonly unknown[],
): UncloneableInputError | undefined {
  const problem = firstProblem(args, 'args');
  return problem && new UncloneableInputError(method, problem.path, problem.kind);
}

function inputError(message: Message, cause: unknown): UncloneableInputError {
  const method = (message.path as unknown[]).join('.');
  const wires = Array.isArray(message.argumentList) ? message.argumentList : [message.value];
  const problem = firstProblem(wires.map(rawValue), 'args');
  return new UncloneableInputError(
    method,
    problem?.path ?? 'args',
    problem?.kind ?? refusal(cause),
  );
}

function resultError(
  method: string | undefined,
  message: Message,
  cause: unknown,
): UncloneableResultError {
  const problem = inspectValue(rawValue(message), false, 'result').problem;
  return new UncloneableResultError(
    method ?? 'service call',
    problem?.path ?? 'result',
    problem?.kind ?? refusal(cause),
  );
}

function firstProblem(values: readonly unknown[], root: string): Problem | undefined {
  for (let i = 0; i < values.length; i++) {
    const { problem } = inspectValue(values[i], false, `${root}[${i}]`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** The value a comlink wire value carries as is (not one a transfer handler encoded). */
function rawValue(wire: unknown): unknown {
  const { type, value } = (wire ?? {}) as Message;
  return type === 'RAW' ? value : undefined;
}

/** comlink's answer for a thrown error, encoded by whatever "throw" handler is installed. */
function thrown(id: unknown, error: Error): unknown {
  const [value] = transferHandlers.get('throw')!.serialize({ value: error });
  return { id, type: 'HANDLER', name: 'throw', value };
}

function refusal(cause: unknown): string {
  try {
    return `value structured clone refuses (${String((cause as Error).message)})`;
  } catch {
    return 'value structured clone refuses';
  }
}
