/**
 * The loop's side of each worker's control port (see `protocol.ts`): it learns the ports as
 * workers start, sends aborts to the worker that owns a task, hands incoming messages to the
 * pool, remembers which workers have loaded the task module and their exit codes, and ends a
 * worker on demand.
 *
 * @module
 */
import type { MessagePort, Worker } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { CONTROL_PORT_KEY, ToLoop, ToWorker } from './protocol.js';

/** A control message from a worker: `[tag, slot, task id, value]`. */
export type ControlMessage = [tag: number, slot: number, id: number, value: unknown];

/** What a worker posts once on start-up: the port the loop uses to reach it. */
interface ControlPortMessage {
  [CONTROL_PORT_KEY]: MessagePort;
  threadId: number;
}

export class WorkerControls {
  readonly #piscina: Piscina;
  readonly #ports = new Map<number, MessagePort>();
  /**
   * Aborts for workers whose port has not arrived yet: it travels on another channel than a
   * worker's first results, so a task can be running before the loop knows the port.
   */
  readonly #unsent = new Map<number, ControlMessage[]>();
  readonly #exitCodes = new Map<number, number>();
  readonly #holds = new WeakMap<MessagePort, number>();
  /** Workers alive that have loaded the task module. */
  readonly #loaded = new Set<number>();

  /**
   * `onWorkerExit` learns whether the worker had loaded the task module: one that exits
   * before it did failed to start.
   */
  constructor(
    piscina: Piscina,
    onMessage: (message: ControlMessage, threadId: number) => void,
    onWorkerExit: (threadId: number, code: number, loaded: boolean) => void,
  ) {
    this.#piscina = piscina;
    piscina.on('message', (message: unknown) => {
      if (typeof message !== 'object' || message === null || !(CONTROL_PORT_KEY in message)) return;
      const { threadId, [CONTROL_PORT_KEY]: port } = message as unknown as ControlPortMessage;
      this.#ports.set(threadId, port);
      port.on('message', (control: ControlMessage) => {
        if (control[0] === ToLoop.loaded) this.#loaded.add(threadId);
        onMessage(control, threadId);
      });
      port.unref();
      for (const unsent of this.#unsent.get(threadId) ?? []) port.postMessage(unsent);
      this.#unsent.delete(threadId);
      this.#worker(threadId)?.once('exit', (code) => {
        const loaded = this.#loaded.delete(threadId);
        this.#exitCodes.set(threadId, code);
        this.#ports.delete(threadId);
        onWorkerExit(threadId, code, loaded);
      });
    });
  }

  /** Asks worker `threadId` to abort task `id` in `slot` (its `ctx.signal`). */
  abort(threadId: number, slot: number, id: number): void {
    const message: ControlMessage = [ToWorker.abort, slot, id, undefined];
    const port = this.#ports.get(threadId);
    if (port !== undefined) port.postMessage(message);
    else this.#unsent.set(threadId, [...(this.#unsent.get(threadId) ?? []), message]);
  }

  /**
   * Keeps worker `threadId`'s control port ref'd (the process stays up for its messages) until
   * the returned function is called. Holds are counted.
   */
  hold(threadId: number): () => void {
    const port = this.#ports.get(threadId);
    if (port === undefined) {
      // Its port has not arrived yet (it travels apart from the first results): hold the
      // process some other way until the messages are in.
      const keepAlive = setInterval(() => {}, 2 ** 30);
      return () => clearInterval(keepAlive);
    }
    const holds = (this.#holds.get(port) ?? 0) + 1;
    this.#holds.set(port, holds);
    if (holds === 1) port.ref();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#holds.get(port) ?? 1) - 1;
      this.#holds.set(port, left);
      if (left === 0) port.unref();
    };
  }

  /** The exit code of worker `threadId`, once it has exited. */
  exitCode(threadId: number): number | undefined {
    return this.#exitCodes.get(threadId);
  }

  /** Ends worker `threadId` (Piscina sees it exit, fails its tasks and starts a new one). */
  terminate(threadId: number): void {
    void this.#worker(threadId)?.terminate();
  }

  close(): void {
    for (const port of this.#ports.values()) port.close();
    this.#ports.clear();
    this.#unsent.clear();
  }

  #worker(threadId: number): Worker | undefined {
    return this.#piscina.threads.find((thread: Worker) => thread.threadId === threadId);
  }
}
