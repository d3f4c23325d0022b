/**
 * The module Piscina loads in every worker. It loads the user's task module once (a failure is
 * kept and reported on every task instead of killing the worker, which would make Piscina stop
 * replacing workers and hang the queue), claims each task through the shared state table,
 * runs it with its context, and encodes results and errors for the trip back.
 *
 * @module
 */
import { MessageChannel, parentPort, threadId, workerData } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { serializeError } from './codec.js';
import { movedValue, type TaskContext, type TaskMap, tasksOfModule } from './define.js';
import { InvalidTaskModuleError, TaskModuleLoadError, UncloneableResultError } from './errors.js';
import {
  type BatchResult,
  CONTROL_PORT_KEY,
  ENVELOPE_KEY,
  type Envelope,
  Mode,
  SLOT_WIDTH,
  type TaskMessage,
  TaskState,
  ToLoop,
  ToWorker,
  type WorkerBootData,
} from './protocol.js';
import { inspectValue } from './transfer.js';
import { isTypeScript, registerTypeScript } from './typescript-tasks.js';

const { tasksUrl, states: stateBuffer } = workerData as WorkerBootData;
const states = new Int32Array(stateBuffer);

const loaded = await loadTasks(tasksUrl);

// The loop talks to this worker through its own port; Piscina's parentPort protocol must not
// see our messages (a second message there would be taken for a new start-up message).
const { port1: control, port2: controlForLoop } = new MessageChannel();
parentPort!.postMessage({ [CONTROL_PORT_KEY]: controlForLoop, threadId }, [controlForLoop]);
control.on('message', onControl);
control.unref();

/** Contexts of the tasks running here, by slot, so that an abort message finds its task. */
const running: (WorkerContext | undefined)[] = [];

async function loadTasks(url: string): Promise<TaskMap | Envelope> {
  try {
    if (isTypeScript(url)) await registerTypeScript(url);
    const module = (await import(url)) as { default?: unknown };
    return tasksOfModule(module.default) ?? failure(new InvalidTaskModuleError(url));
  } catch (cause) {
    return failure(new TaskModuleLoadError(url, { cause }));
  }
}

function failure(error: unknown): Envelope {
  return { [ENVELOPE_KEY]: 'error', error: serializeError(error) };
}

function onControl(message: [tag: number, slot: number, id: number]): void {
  const [tag, slot, id] = message;
  const context = running[slot];
  if (tag === ToWorker.abort && context !== undefined && context.id === id) context.abort();
}

class WorkerContext implements TaskContext {
  readonly id: number;
  readonly name: string;
  readonly #stateIndex: number;
  #controller: AbortController | undefined;

  constructor(id: number, slot: number, name: string) {
    this.id = id;
    this.name = name;
    this.#stateIndex = slot * SLOT_WIDTH;
  }

  get signal(): AbortSignal {
    // Made on first use: most synchronous tasks never look at it. Only a new signal may start
    // out aborted; later, it aborts by event (the loop's message), never in the middle of a
    // task's synchronous code, as any AbortSignal.
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#cancelledState() !== undefined) this.abort();
    }
    return this.#controller.signal;
  }

  checkpoint(): void {
    if (this.#cancelledState() === undefined) return;
    this.abort();
    throw this.#controller!.signal.reason;
  }

  progress(value: unknown): void {
    Atomics.add(states, this.#stateIndex + 2, 1);
    control.postMessage([ToLoop.progress, this.#stateIndex / SLOT_WIDTH, this.id, value]);
  }

  abort(): void {
    this.#controller ??= new AbortController();
    if (this.#controller.signal.aborted) return;
    const timedOut = this.#cancelledState() === TaskState.timedOut;
    this.#controller.abort(
      new DOMException(
        timedOut ? `Task "${this.name}" timed out` : `Task "${this.name}" was cancelled`,
        timedOut ? 'TimeoutError' : 'AbortError',
      ),
    );
  }

  #cancelledState(): number | undefined {
    const state = Atomics.load(states, this.#stateIndex);
    return state === TaskState.cancelled || state === TaskState.timedOut ? state : undefined;
  }
}

/** Piscina's handler: one call per task message. */
export default async function handle(message: TaskMessage): Promise<unknown> {
  const [id, slot, name, input, mode] = message;
  if (mode & Mode.describe) return describe();
  const index = slot * SLOT_WIDTH;
  if (
    Atomics.compareExchange(states, index, TaskState.pending, TaskState.running) !==
    TaskState.pending
  ) {
    throw { [ENVELOPE_KEY]: 'skipped' } satisfies Envelope;
  }
  Atomics.store(states, index + 1, threadId);
  if (mode & Mode.reportStart) control.postMessage([ToLoop.started, slot, id]);
  if (ENVELOPE_KEY in loaded) throw loaded;
  const task = loaded[name]!;
  const context = new WorkerContext(id, slot, name);
  running[slot] = context;
  try {
    let result: unknown;
    if (mode & Mode.batch) {
      result = await runBatch(task, input as unknown[], context);
    } else {
      result = task(input, context);
      if (result instanceof Promise) result = await result;
      result = encodeResult(name, result);
    }
    Atomics.store(states, index, TaskState.done);
    return result;
  } catch (error) {
    Atomics.store(states, index, TaskState.done);
    throw failure(error);
  } finally {
    running[slot] = undefined;
  }
}

function describe(): string[] {
  if (ENVELOPE_KEY in loaded) throw loaded;
  return Object.keys(loaded);
}

async function runBatch(
  task: TaskMap[string],
  items: unknown[],
  context: WorkerContext,
): Promise<BatchResult> {
  const values: unknown[] = new Array(items.length);
  const errors: BatchResult['errors'] = [];
  for (let i = 0; i < items.length; i++) {
    // Between items is a free cancellation point: a cancelled batch stops here.
    context.checkpoint();
    try {
      let value = task(items[i], context);
      if (value instanceof Promise) value = await value;
      values[i] = value;
    } catch (error) {
      errors.push([i, serializeError(error)]);
    }
  }
  const problem = inspectValue(values, false, 'result').problem;
  if (problem !== undefined)
    throw new UncloneableResultError(context.name, problem.path, problem.kind);
  return { values, errors };
}

function encodeResult(name: string, result: unknown): unknown {
  const moved = movedValue(result);
  const value = moved === undefined ? result : moved.value;
  const { problem, transferList } = inspectValue(value, moved !== undefined, 'result');
  if (problem !== undefined) throw new UncloneableResultError(name, problem.path, problem.kind);
  if (transferList.length === 0) return value;
  // Piscina's protocol for a result with a transfer list: an object that names both.
  const movable = {
    get [Piscina.transferableSymbol]() {
      return transferList;
    },
    get [Piscina.valueSymbol]() {
      return value;
    },
  };
  return Piscina.move(movable as unknown as Parameters<typeof Piscina.move>[0]);
}
