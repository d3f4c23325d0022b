/**
 * The loop's side of each worker's port (see `protocol.ts`). Tasks, their answers, progress
 * and aborts all travel on it, so everything a worker posts arrives in the order it was
 * posted. It learns the ports as workers start, keeps the process alive while a worker holds
 * work, hands incoming messages to the pool, remembers which workers have loaded the task
 * module and their exit codes, and ends a worker on demand.
 *
 * @module
 */
import { type MessagePort, receiveMessageOnPort, type Worker } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { CONTROL_PORT_KEY, ToLoop, ToWorker } from './protocol.js';

/** A message from a worker: `[tag, slot, task id or flag, value]`. */
export type ControlMessage = [tag: number, slot: number, id: number, value: unknown];

/** What a worker posts once on start-up: the port the loop uses to reach it. */
interface ControlPortMessage {
  [CONTROL_PORT_KEY]: MessagePort;
  threadId: number;
}

/** What the pool hears from the workers. */
export interface ControlHandlers {
  /** A message from worker `threadId`. */
  message(message: ControlMessage, threadId: number): void;
  /** Worker `threadId`'s port has arrived: it may take tasks. */
  ready(threadId: number): void;
  /** Worker `threadId` has ended; the messages it left are handled next: it takes no more tasks. */
  exiting(threadId: number): void;
  /**
   * Worker `threadId` has ended and every message it posted has been handled: whether it had
   * loaded the task module (one that exits before it did failed to start), and what ended it.
   */
  exit(threadId: number, code: number, loaded: boolean, cause: unknown): void;
}

/** A worker's port, and how many reasons there are to keep the process alive for it. */
interface Line {
  port: MessagePort;
  refs: number;
}

export class WorkerControls {
  readonly #piscina: Piscina;
  readonly #lines = new Map<number, Line>();
  readonly #exitCodes = new Map<number, number>();
  /** Workers alive that have loaded the task module. */
  readonly #loaded = new Set<number>();
  /** Workers told to end that have not exited yet. */
  readonly #terminated = new Set<number>();

  constructor(piscina: Piscina, on: ControlHandlers) {
    this.#piscina = piscina;
    piscina.on('message', (message: unknown) => {
      if (typeof message !== 'object' || message === null || !(CONTROL_PORT_KEY in message)) return;
      const { threadId, [CONTROL_PORT_KEY]: port } = message as unknown as ControlPortMessage;
      const deliver = (control: ControlMessage) => {
        // With the error it failed with, it did not load.
        if (control[0] === ToLoop.loaded && control[3] === undefined) this.#loaded.add(threadId);
        on.message(control, threadId);
      };
      this.#lines.set(threadId, { port, refs: 0 });
      port.on('message', deliver);
      port.unref();
      const worker = this.#worker(threadId);
      // The port closes when the worker dies, and stops holding the process then; Piscina
      // unrefs its workers. Held until 'exit', so that the tasks the worker held hear of it.
      // (A replacement needs no such hold: Piscina's own port holds the process until the new
      // worker is ready, and this worker's port, ref'd by the tasks sent to it, arrives first.)
      port.once('close', () => worker?.ref());
      // What ended it (out of memory, an uncaught error), if anything did: the cause its lost
      // tasks fail with.
      let ended: unknown;
      worker?.on('error', (error) => {
        ended ??= error;
      });
      worker?.once('exit', (code) => {
        on.exiting(threadId);
        // Whatever the worker posted before it ended is queued on the port by now: it is
        // handled first, so that no answer that was sent is taken for lost.
        for (let next = receiveMessageOnPort(port); next; next = receiveMessageOnPort(port)) {
          deliver(next.message as ControlMessage);
        }
        port.close();
        const loaded = this.#loaded.delete(threadId);
        this.#terminated.delete(threadId);
        this.#exitCodes.set(threadId, code);
        this.#lines.delete(threadId);
        on.exit(threadId, code, loaded, ended ?? new Error(`worker exited with code: ${code}`));
      });
      on.ready(threadId);
    });
  }

  /**
   * Posts a message of tasks to worker `threadId` (throws what `postMessage` throws) and keeps
   * the process alive until {@link answered} says the worker answered for it.
   */
  send(threadId: number, message: unknown[], transferList: ArrayBuffer[]): void {
    const line = this.#lines.get(threadId)!;
    line.port.postMessage(message, transferList);
    if (line.refs++ === 0) line.port.ref();
  }

  /** Worker `threadId` answered for a message {@link send} posted. */
  answered(threadId: number): void {
    const line = this.#lines.get(threadId);
    if (line !== undefined && --line.refs === 0) line.port.unref();
  }

  /** Asks worker `threadId` to abort task `id` in `slot` (its `ctx.signal`). */
  abort(threadId: number, slot: number, id: number): void {
    this.#lines.get(threadId)?.port.postMessage([ToWorker.abort, slot, id]);
  }

  /** The exit code of worker `threadId`, once it has exited. */
  exitCode(threadId: number): number | undefined {
    return this.#exitCodes.get(threadId);
  }

  /**
   * Ends worker `threadId` (Piscina sees it exit and starts a new one). Once per worker: each
   * `Worker.terminate()` adds an 'exit' listener (a dozen tasks past `grace` in one worker made
   * Node warn of a listener leak).
   */
  terminate(threadId: number): void {
    if (this.#terminated.has(threadId)) return;
    this.#terminated.add(threadId);
    void this.#worker(threadId)?.terminate();
  }

  close(): void {
    for (const { port } of this.#lines.values()) port.close();
    this.#lines.clear();
  }

  #worker(threadId: number): Worker | undefined {
    return this.#piscina.threads.find((thread: Worker) => thread.threadId === threadId);
  }
}
