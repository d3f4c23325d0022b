/**
 * The module Piscina loads in every worker. It hands the loop a port of its own, on which the
 * tasks arrive and their answers go back (see `protocol.ts`); Piscina's own channel carries
 * only the start-up describe. It starts loading the user's task module at once but does not
 * hold Piscina's start-up on it (a failure is kept and reported on every task instead of
 * killing the worker; a module that exits while loading is seen by the loop as a start-up
 * failure, because `loaded` never came; and Piscina gives up replacing workers that die before
 * they are ready). It claims each task through the shared state table, runs it with its
 * context inside an AsyncLocalStorage scope (so an error thrown later from one of its timers is
 * traced back to it), and encodes results and errors for the trip back.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { types } from 'node:util';
import { MessageChannel, parentPort, threadId, workerData } from 'node:worker_threads';
import { isReference } from './clone-walk.js';
import { type SerializedError, serializeError } from './codec.js';
import { movedValue, type TaskContext, type TaskMap, tasksOfModule } from './define.js';
import {
  InvalidTaskModuleError,
  TaskModuleLoadError,
  UncloneableProgressError,
  UncloneableResultError,
  UnknownTaskError,
} from './errors.js';
import { type Deferred, deferred } from './internal/deferred.js';
import {
  Answer,
  type BatchResult,
  CONTROL_PORT_KEY,
  ENVELOPE_KEY,
  type Envelope,
  Field,
  type GroupAnswer,
  Mode,
  SLOT_WIDTH,
  SlotState,
  type TaskMessage,
  ToLoop,
  ToWorker,
  type WorkerBootData,
} from './protocol.js';
import { CHECK_BUDGET, inspectValue } from './transfer.js';
import { isTypeScript, registerTypeScript } from './typescript-tasks.js';

const { tasksUrl, states: stateBuffer } = workerData as WorkerBootData;
// Not `instanceof Promise`: that reads the prototype, which a (revoked) Proxy can refuse.
const isPromise = types.isPromise as (value: unknown) => value is Promise<unknown>;
const states = new Int32Array(stateBuffer);

// The loop talks to this worker through its own port; Piscina's parentPort protocol must not
// see our messages (a second message there would be taken for a new start-up message). The
// port goes first, so that the loop knows this worker even if loading the module kills it.
// Unref'd: Piscina's own channel keeps the worker alive, and must alone decide when it ends.
const { port1: control, port2: controlForLoop } = new MessageChannel();
parentPort!.postMessage({ [CONTROL_PORT_KEY]: controlForLoop, threadId }, [controlForLoop]);
control.on('message', onControl);
control.unref();

/** Contexts of the tasks running here, by slot, so that an abort message finds its task. */
const running: (WorkerContext | undefined)[] = [];
/**
 * The async task whose code is running now, for errors that surface outside it (timers,
 * exits). Only `async` task functions run inside it: on Node 20 the first `run()` turns on
 * promise hooks for the whole thread, a cost every task would then pay on every round trip,
 * and a synchronous task has no later callbacks of its own to trace while it runs.
 */
const current = new AsyncLocalStorage<WorkerContext>();
/**
 * The synchronous task that ran last, blamed for a `process.exit()` made by something it left
 * behind (a microtask, a timer) until another task starts.
 */
let lastSync: WorkerContext | undefined;
/**
 * The task whose synchronous code is running now (outside `current`): an exit made from it
 * is its own, whatever async work runs untraced beside it (no callback can run inside it).
 */
let onStack: WorkerContext | undefined;
const AsyncFunction = (async () => {}).constructor;
/** Task names that need `current`: declared `async`, or seen returning a promise. */
const tracedTasks = new Set<string>();
/** Tasks running async work outside `current` (first calls of a plain function returning a promise). */
const untraced = new Set<WorkerContext>();

watchStrayErrors();
blameExits();

// Held in an object: a task map with a task named `then` must not be taken for a thenable.
const loading: Promise<{ tasks: TaskMap } | Envelope> = loadTasks(tasksUrl).then((result) => {
  loaded = result;
  if (ENVELOPE_KEY in result) {
    // Tasks that came early are never served: the loop ends this worker (one that replaced a
    // worker that died; at start, start() fails) and sends them to another (none started).
    control.postMessage([ToLoop.loaded, -1, 0, (result as { error: unknown }).error]);
    return result;
  }
  control.postMessage([ToLoop.loaded, -1, 0, undefined]);
  serveEarly();
  return result;
});
/**
 * Messages of tasks that came before the module was loaded (a worker that replaced one that
 * died gets its share at once), in order; undefined once they are all served.
 */
let early: TaskMessage[] | undefined = [];

/**
 * Serves the messages that came early, one per turn of the event loop: each message's
 * answer, and whatever its tasks left queued, goes before the next message's tasks run, as
 * for messages that come later (an exit left behind is blamed on the right task).
 */
function serveEarly(): void {
  const message = early!.shift();
  if (message === undefined) {
    early = undefined;
    return;
  }
  serve(message, true);
  setImmediate(serveEarly);
}
/** The module once loaded: tasks after the first skip the await. */
let loaded: { tasks: TaskMap } | Envelope | undefined;

async function loadTasks(url: string): Promise<{ tasks: TaskMap } | Envelope> {
  try {
    if (isTypeScript(url)) await registerTypeScript(url);
    const module = (await import(url)) as { default?: unknown };
    const tasks = tasksOfModule(module.default);
    return tasks === undefined ? failure(new InvalidTaskModuleError(url)) : { tasks };
  } catch (cause) {
    return failure(new TaskModuleLoadError(url, { cause }));
  }
}

function failure(error: unknown, kind: 'error' | 'crashed' = 'error'): Envelope {
  return { [ENVELOPE_KEY]: kind, error: serialized(error) };
}

/** `serializeError(error)`, and if even that fails (a hostile error object), a plain stand-in. */
function serialized(error: unknown): SerializedError {
  try {
    return serializeError(error);
  } catch {
    return serializeError(new Error('The task threw a value that could not be read'));
  }
}

/** A message from the loop: tasks to run (a name or a list of names first), or an abort. */
function onControl(message: unknown[]): void {
  if (typeof message[0] !== 'number') {
    serve(message);
    return;
  }
  const [tag, slot, id] = message as [number, number, number];
  const context = running[slot];
  if (tag === ToWorker.abort && context !== undefined && context.id === id) context.abort();
}

/**
 * Runs a message of tasks and posts its answer, named by the slot of its first task. A ready
 * answer goes a microtask later: what its tasks left queued runs first, so a task that ends
 * its worker from a microtask after returning is blamed for it, not answered for.
 */
function serve(message: TaskMessage, inTurn = false): void {
  if (early !== undefined && !inTurn) {
    early.push(message);
    return;
  }
  const slots = message[1] as number | Int32Array;
  const key = typeof slots === 'number' ? slots : slots[0]!;
  let answer: unknown;
  try {
    answer = handle(message);
  } catch (envelope) {
    queueMicrotask(() => reply(message, key, 0, envelope));
    return;
  }
  if (!isPromise(answer)) queueMicrotask(() => reply(message, key, 1, answer));
  else
    answer.then(
      (value) => reply(message, key, 1, value),
      (envelope: unknown) => reply(message, key, 0, envelope),
    );
}

/**
 * Posts the answer to `message`. If structured clone refuses it after all (the check before
 * let something through: a getter that answers once, then throws), the task fails with
 * UncloneableResultError; in a message of several, only the tasks whose values are refused.
 */
function reply(message: TaskMessage, key: number, ok: 0 | 1, answer: unknown): void {
  // Cloning a message's values may run their getters: an exit from one of several is nobody's
  // for sure (it is left unmarked, and the loop runs each again alone, where it is known).
  if (typeof message[1] !== 'number') lastSync = undefined;
  try {
    if (answer instanceof Moving) {
      control.postMessage([ToLoop.answered, key, ok, answer.value], answer.transferList);
    } else {
      control.postMessage([ToLoop.answered, key, ok, answer]);
    }
  } catch {
    const value = answer instanceof Moving ? answer.value : answer;
    if (typeof message[1] === 'number' || ok === 0) {
      const refused = serialized(refusedResult(nameOf(message, key), value));
      control.postMessage([ToLoop.answered, key, 0, { [ENVELOPE_KEY]: 'error', error: refused }]);
    } else {
      replyOneByOne(message, message[1] as Int32Array, key, value as GroupAnswer);
    }
  }
}

/**
 * The result structured clone refused, as an error: the check before left it to
 * `postMessage` (past its budget) or could not see it. A full walk now names the path; when
 * even it finds nothing (a getter that answers once), the error says only that.
 */
function refusedResult(name: string, value: unknown): UncloneableResultError {
  const { problem } = inspectValue(value, false, 'result');
  return problem === undefined
    ? new UncloneableResultError(name, 'result', 'value structured clone refuses')
    : new UncloneableResultError(name, problem.path, problem.kind);
}

/**
 * A message's answer that structured clone refused: each task's value goes alone, as an early
 * outcome (a copy), and the answer that follows lists the values refused among its failures.
 */
function replyOneByOne(
  message: TaskMessage,
  slots: Int32Array,
  key: number,
  answers: GroupAnswer,
): void {
  const failures = (answers[0] as unknown[] | null) ?? [];
  const failed = new Set<number>();
  for (let f = 0; f < failures.length; f += 3) failed.add(failures[f] as number);
  for (let i = 0; i < slots.length; i++) {
    if (failed.has(i)) continue;
    const slot = slots[i]!;
    try {
      control.postMessage([ToLoop.settled, -1, 0, [slot, idOf(slot), true, answers[1 + i]]]);
    } catch {
      failures.push(
        i,
        Answer.error,
        serialized(refusedResult(nameOf(message, slot), answers[1 + i])),
      );
    }
    answers[1 + i] = undefined; // settled already, or failed
  }
  answers[0] = failures.length === 0 ? null : inOrder(failures);
  control.postMessage([ToLoop.answered, key, 1, answers]);
}

/**
 * A throw from a timer or an unhandled rejection would end the worker and take every task in
 * it down. Instead: if it comes from a task that is still running, that task fails as crashed;
 * otherwise (left behind by a task that already returned) it is reported as stray. Either way
 * the loop retires this worker once it is empty, since its state can no longer be trusted.
 */
function watchStrayErrors(): void {
  const onStray = (error: unknown) => {
    const context = current.getStore();
    if (context?.isRunning()) {
      context.crash(error);
    } else if (untraced.size > 0) {
      // Running async work that no context traces (a plain function that returned a
      // promise, on its first call): the error may be theirs, and left alone they might never
      // settle. They fail as crashed, as tasks running in a worker that dies of nothing known do.
      for (const running of untraced) running.crash(error);
    } else {
      control.postMessage([ToLoop.stray, -1, 0, serialized(error)]);
    }
  };
  process.on('uncaughtException', onStray);
  process.on('unhandledRejection', onStray);
}

/**
 * A task that ends its own worker (`process.exit()` in its code, even after it returned) is
 * marked in the state table, so the loop blames it alone and never runs it again; the async
 * tasks running beside it were interrupted, and run again. So the mark must be sure: a call
 * made while a synchronous task runs is that task's; one from outside any task goes to the
 * last synchronous one only when no untraced async task is running (it might be the caller).
 * Unmarked, every task running there is blamed.
 */
function blameExits(): void {
  const exit = process.exit.bind(process);
  process.exit = ((code?: number) => {
    // Node refuses some codes (1.5, 'x') with a throw, and the worker goes on: a refused call
    // must mark no one, so the code is checked (by the same setter) before the mark.
    if (code !== undefined && code !== null) process.exitCode = code;
    const context = current.getStore() ?? onStack ?? (untraced.size === 0 ? lastSync : undefined);
    const index = context === undefined ? -1 : context.slot * SLOT_WIDTH;
    // Only while the slot is still its own (a slot is reused once its task's answer is in).
    // A task cancelled or timed out while it ran is still the one that ended the worker.
    // The loop may cancel it at the same instant: try again until the mark holds.
    if (context !== undefined && states[index + Field.id] === context.id) {
      let state = Atomics.load(states, index + Field.state);
      while (
        state === SlotState.running ||
        state === SlotState.done ||
        state === SlotState.cancelled ||
        state === SlotState.timedOut
      ) {
        const seen = Atomics.compareExchange(states, index + Field.state, state, SlotState.crashed);
        if (seen === state) break;
        state = seen;
      }
    }
    return exit(code);
  }) as typeof process.exit;
}

class WorkerContext implements TaskContext {
  readonly id: number;
  readonly slot: number;
  readonly name: string;
  #crashed: Deferred<never> | undefined;
  /** The envelope the task failed with when its own code threw outside it. */
  crashReason: Envelope | undefined;
  readonly #stateIndex: number;
  #controller: AbortController | undefined;
  #finished = false;
  /**
   * Where the buffers its value gives up go: a group's list, or, without one, the answer
   * (a {@link Moving}).
   */
  readonly sink: Set<ArrayBuffer> | undefined;

  constructor(id: number, slot: number, name: string, sink: Set<ArrayBuffer> | undefined) {
    this.id = id;
    this.slot = slot;
    this.name = name;
    this.#stateIndex = slot * SLOT_WIDTH;
    this.sink = sink;
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
    const { problem } = inspectValue(value, false, 'progress');
    if (problem !== undefined)
      throw new UncloneableProgressError(this.name, problem.path, problem.kind);
    try {
      control.postMessage([ToLoop.progress, this.slot, this.id, value]);
    } catch {
      throw new UncloneableProgressError(this.name, 'progress', 'value structured clone refuses');
    }
  }

  /** Marks which item of a batch is running (the one to blame if the worker dies). */
  enterItem(index: number): void {
    Atomics.store(states, this.#stateIndex + Field.item, index);
  }

  abort(): void {
    this.#controller ??= new AbortController();
    if (this.#controller.signal.aborted) return;
    const timedOut = this.#cancelledState() === SlotState.timedOut;
    this.#controller.abort(
      new DOMException(
        timedOut ? `Task "${this.name}" timed out` : `Task "${this.name}" was cancelled`,
        timedOut ? 'TimeoutError' : 'AbortError',
      ),
    );
  }

  /** The task's code has returned or thrown. */
  finish(): void {
    this.#finished = true;
    Atomics.compareExchange(states, this.#stateIndex, SlotState.running, SlotState.done);
  }

  /** Its code has not finished yet (an error from it now is its own failure). */
  isRunning(): boolean {
    return !this.#finished && running[this.slot] === this;
  }

  /** Rejects when the task's own code throws outside it (a timer) while it runs. */
  get crashed(): Promise<never> {
    this.#crashed ??= deferred<never>();
    return this.#crashed.promise;
  }

  crash(error: unknown): void {
    this.#crashed ??= deferred<never>();
    this.crashReason ??= failure(error, 'crashed');
    this.#crashed.reject(this.crashReason);
  }

  #cancelledState(): number | undefined {
    const state = Atomics.load(states, this.#stateIndex);
    return state === SlotState.cancelled || state === SlotState.timedOut ? state : undefined;
  }
}

/**
 * Runs one message: a message of one task is answered with the value (or a thrown envelope),
 * a message of several with one {@link GroupAnswer}. Not `async`: a synchronous task's answer
 * is ready without a promise. Piscina calls it for the describe at start.
 */
export default function handle(message: TaskMessage): unknown {
  const module = loaded;
  if (module === undefined) return loading.then(() => handle(message));
  if (message.length === 1) return describe(module);
  const slots = message[1];
  if (typeof slots === 'number') return runItem(module, message[0] as string, slots, message[2]);
  return runGroup(module, slots as Int32Array, message);
}

/** The name of the task in `slot` of `message` (see `TaskMessage`). */
function nameOf(message: TaskMessage, slot: number): string {
  const names = message[0];
  if (typeof names === 'string') return names;
  return (names as string[])[states[slot * SLOT_WIDTH + Field.task]!]!;
}

/**
 * Claims the task in `slot` and runs it: its encoded value, a promise of it for an async task,
 * or a thrown envelope (skipped: it was cancelled or taken back before its claim). The buffers
 * its value gives up go to `sink` (a group's list) or, without one, with the answer (see
 * `WorkerContext.sink`).
 */
function runItem(
  module: { tasks: TaskMap } | Envelope,
  name: string,
  slot: number,
  input: unknown,
  sink?: Set<ArrayBuffer>,
): unknown {
  const index = slot * SLOT_WIDTH;
  if (
    Atomics.compareExchange(states, index, SlotState.pending, SlotState.running) !==
    SlotState.pending
  ) {
    throw skipped;
  }
  // Written by the loop before it posted the message that brought this task.
  const id = states[index + Field.id]!;
  const mode = states[index + Field.mode]!;
  Atomics.store(states, index + Field.owner, threadId);
  if (mode & Mode.reportStart) control.postMessage([ToLoop.started, slot, id]);
  if (ENVELOPE_KEY in module) {
    Atomics.store(states, index, SlotState.done);
    throw module;
  }
  const task = module.tasks[name];
  if (typeof task !== 'function') {
    // start() read the names from one worker; this one's module defines others.
    Atomics.store(states, index, SlotState.done);
    throw failure(
      new UnknownTaskError(name, Object.keys(module.tasks), `in worker thread ${threadId}`),
    );
  }
  const context = new WorkerContext(id, slot, name, sink);
  running[slot] = context;
  let async = false;
  const started = performance.now();
  try {
    let work: unknown;
    if (task instanceof AsyncFunction || tracedTasks.has(name)) {
      lastSync = undefined;
      work = current.run(context, runTask, task, input, context, mode);
    } else {
      lastSync = context;
      onStack = context;
      try {
        work = runTask(task, input, context, mode);
      } finally {
        onStack = undefined;
      }
    }
    // The synchronous part is what the task costs its worker (see cost-model.ts).
    const cost = microsSince(started);
    Atomics.store(states, index + Field.cost, cost);
    // A value: the task has finished (runOne and runBatch mark it done before returning).
    if (!isPromise(work)) {
      Atomics.store(states, index + Field.ran, cost);
      return work;
    }
    // A plain function that returned a promise: its next calls are traced as async ones.
    if (!(mode & Mode.batch)) tracedTasks.add(name);
    async = true;
    states[index + Field.mode] = mode | Mode.async; // read by the loop once answered
    if (lastSync === context) {
      lastSync = undefined;
      untraced.add(context);
    }
    // Only an async task can meet an error thrown outside it while it runs (a timer).
    return Promise.race([work, context.crashed]).then(
      (result) => {
        Atomics.store(states, index + Field.ran, microsSince(started));
        Atomics.compareExchange(states, index, SlotState.running, SlotState.done);
        running[slot] = undefined;
        untraced.delete(context);
        return result;
      },
      (error: unknown) => {
        Atomics.store(states, index + Field.ran, microsSince(started));
        Atomics.compareExchange(states, index, SlotState.running, SlotState.done);
        running[slot] = undefined;
        untraced.delete(context);
        throw error === context.crashReason ? error : failure(error);
      },
    );
  } catch (error) {
    // A task that throws (or returns what cannot travel) costs its time too, and is held to
    // its timeout as one that returns.
    const cost = microsSince(started);
    Atomics.store(states, index + Field.cost, cost);
    Atomics.store(states, index + Field.ran, cost);
    Atomics.compareExchange(states, index, SlotState.running, SlotState.done);
    throw failure(error);
  } finally {
    if (!async) running[slot] = undefined;
  }
}

/** The most the cost and ran fields hold (an Int32 of µs: about 35 minutes). */
const MAX_COST_US = 2 ** 31 - 1;

/** µs since `started` (a `performance.now()`), as the cost and ran fields hold them. */
function microsSince(started: number): number {
  return Math.min(MAX_COST_US, (performance.now() - started) * 1000);
}
const skipped: Envelope = Object.freeze({ [ENVELOPE_KEY]: 'skipped' });

/**
 * Runs the tasks of one message, each claimed as it starts; async ones run side by side. A
 * message of synchronous tasks is answered at once. While an async task of it still runs, no
 * other task waits for it: the outcomes of the tasks that have finished go to the loop at
 * once, and each async task's as it ends (`ToLoop.settled`). Those go as copies (no buffer
 * moved); the message's answer, once all have settled, still carries every outcome (the loop
 * skips those it has settled) and moves the buffers.
 */
function runGroup(
  module: { tasks: TaskMap } | Envelope,
  slots: Int32Array,
  message: TaskMessage,
): unknown {
  const answers: GroupAnswer = new Array(1 + slots.length);
  const failures: unknown[] = [];
  // Buffers the tasks gave up with moveResult(), once each (a buffer listed twice is a DataCloneError).
  const transfer = new Set<ArrayBuffer>();
  const fail = (i: number, envelope: unknown) => {
    const { [ENVELOPE_KEY]: kind, error } = envelope as Envelope & { error?: unknown };
    const answer =
      kind === 'skipped' ? Answer.skipped : kind === 'crashed' ? Answer.crashed : Answer.error;
    failures.push(i, answer, error);
  };
  let waits: Promise<void>[] | undefined;
  /** Runs the task at `i`; true if it ran synchronously to its end (a value or a throw). */
  const runAt = (i: number): boolean => {
    const slot = slots[i]!;
    try {
      const work = runItem(module, nameOf(message, slot), slot, message[2 + i], transfer);
      if (!isPromise(work)) {
        answers[1 + i] = work;
        return true;
      }
      const id = running[slot]!.id;
      waits ??= [];
      waits.push(
        work.then(
          (value) => {
            answers[1 + i] = value;
            postSettled([slot, id, true, value]);
          },
          (envelope: unknown) => {
            fail(i, envelope);
            const { [ENVELOPE_KEY]: kind, error } = envelope as Envelope & { error?: unknown };
            if (kind === 'error') postSettled([slot, id, false, error]);
          },
        ),
      );
      return false;
    } catch (envelope) {
      fail(i, envelope);
      return envelope !== skipped;
    }
  };
  let ranSync = 0;
  for (let i = 0; i < slots.length; i++) {
    if (runAt(i)) ranSync++;
  }
  // What the tasks left queued (microtasks, timers) runs after all of them: with two or more
  // synchronous tasks run, an exit from it is nobody's for sure. It is left unmarked, and the
  // loop runs each finished task again alone, where the culprit is known. (Running each task
  // a microtask after the one before would pin an exit two hops down a task's promise chain
  // on the task after it.)
  if (ranSync > 1) lastSync = undefined;
  if (waits === undefined) return groupAnswer(answers, failures, transfer);
  postFinished(slots, answers, failures);
  return Promise.all(waits).then(() => groupAnswer(answers, failures, transfer));
}

/** `answers` with its failures (as triples in message order, or null), as it travels. */
function groupAnswer(
  answers: GroupAnswer,
  failures: unknown[],
  transfer: Set<ArrayBuffer>,
): unknown {
  answers[0] = failures.length === 0 ? null : inOrder(failures);
  return movable(answers, [...transfer]);
}

/** `[index, answer, error]` triples sorted by index (async tasks fail in any order). */
function inOrder(failures: unknown[]): unknown[] {
  const triples: unknown[][] = [];
  for (let i = 0; i < failures.length; i += 3) triples.push(failures.slice(i, i + 3));
  triples.sort((a, b) => (a[0] as number) - (b[0] as number));
  return triples.flat();
}

/**
 * Sends the outcomes of the tasks of a message that have finished while others still run:
 * values and their own errors (skipped and crashed ones wait for the message's answer).
 */
function postFinished(slots: Int32Array, answers: GroupAnswer, failures: unknown[]): void {
  const outcomes: unknown[] = [];
  const failed = new Set<number>();
  for (let f = 0; f < failures.length; f += 3) {
    const i = failures[f] as number;
    failed.add(i);
    if (failures[f + 1] === Answer.error)
      outcomes.push(slots[i], idOf(slots[i]!), false, failures[f + 2]);
  }
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i]!;
    if (running[slot] !== undefined || failed.has(i)) continue; // still running, or failed
    outcomes.push(slot, idOf(slot), true, answers[1 + i]);
  }
  if (outcomes.length > 0) postSettled(outcomes);
}

/** The id of the task in `slot` (written by the loop before it posted the message). */
function idOf(slot: number): number {
  return states[slot * SLOT_WIDTH + Field.id]!;
}

/**
 * Posts `ToLoop.settled` outcomes, as copies. If structured clone refuses one (the check
 * before let it through), the message's answer still carries it.
 */
function postSettled(outcomes: unknown[]): void {
  try {
    control.postMessage([ToLoop.settled, -1, 0, outcomes]);
  } catch {
    // The answer carries it.
  }
}

function runTask(
  task: TaskMap[string],
  input: unknown,
  context: WorkerContext,
  mode: number,
): unknown {
  return mode & Mode.batch
    ? runBatch(task, input as unknown[], context)
    : runOne(task, input, context);
}

const promiseThen = Promise.prototype.then;

/**
 * `promise.then(onValue, onError)` as `await promise` would follow it: a task's promise whose
 * own `then` was replaced is not asked (it could answer anything, or never call back and leave
 * the task's slot running); a subclass's `then` is, through a plain promise that adopts it. A
 * `constructor` that throws, or that changes between reads, is the promise's error.
 */
function whenSettled<T>(
  promise: Promise<unknown>,
  onValue: (value: unknown) => T,
  onError: (error: unknown) => T,
): Promise<Awaited<T>> {
  try {
    return promiseThen.call(Promise.resolve(promise), onValue, onError) as Promise<Awaited<T>>;
  } catch (error) {
    return promiseThen.call(Promise.reject(error), onValue, onError) as Promise<Awaited<T>>;
  }
}

/** The task's encoded value, or a promise of it for an async task (no promise made for a sync one). */
function runOne(task: TaskMap[string], input: unknown, context: WorkerContext): unknown {
  // `finish` at once, not a microtask later: a neighbour that ends the worker right after
  // this task returned must find it done (innocent, run again), not running (blamed).
  let result: unknown;
  try {
    result = task(input, context);
  } catch (error) {
    context.finish();
    throw error;
  }
  if (!isPromise(result)) {
    context.finish();
    return encode(context.name, result, context.sink);
  }
  return whenSettled(
    result,
    (value) => {
      context.finish();
      return encode(context.name, value, context.sink);
    },
    (error: unknown) => {
      context.finish();
      throw error;
    },
  );
}

function describe(loaded: { tasks: TaskMap } | Envelope): string[] {
  if (ENVELOPE_KEY in loaded) throw loaded;
  return Object.keys(loaded.tasks);
}

/**
 * Runs the items of a `map` batch in order: its {@link BatchResult}, synchronously while the
 * items return values (no promise for a batch of synchronous items), or a promise of it from
 * the first item that returns a promise.
 */
function runBatch(task: TaskMap[string], items: unknown[], context: WorkerContext): unknown {
  const batch: Batch = {
    task,
    items,
    context,
    values: new Array(items.length),
    errors: [],
    transfer: new Set<ArrayBuffer>(),
  };
  let pending: Promise<void> | undefined;
  try {
    pending = runItems(batch, 0);
  } catch (error) {
    context.finish();
    throw error;
  }
  if (pending === undefined) {
    context.finish();
    return deliverBatch(batch);
  }
  return pending.then(
    () => {
      context.finish();
      return deliverBatch(batch);
    },
    (error: unknown) => {
      context.finish();
      throw error;
    },
  );
}

interface Batch {
  task: TaskMap[string];
  items: unknown[];
  context: WorkerContext;
  values: unknown[];
  errors: BatchResult['errors'];
  /** Buffers the items gave up with moveResult(), once each (a buffer listed twice is a DataCloneError). */
  transfer: Set<ArrayBuffer>;
}

function deliverBatch({ values, errors, transfer, context }: Batch): unknown {
  return deliver({ values, errors } satisfies BatchResult, [...transfer], context.sink);
}

/** Runs items from `from` on; undefined when all ran synchronously, else a promise of the rest. */
function runItems(batch: Batch, from: number): Promise<void> | undefined {
  const { task, items, context, errors } = batch;
  for (let i = from; i < items.length; i++) {
    // Between items is a free cancellation point: a cancelled batch stops here.
    context.checkpoint();
    context.enterItem(i);
    let value: unknown;
    try {
      value = task(items[i], context);
    } catch (error) {
      errors.push([i, serialized(error)]);
      continue;
    }
    if (isPromise(value)) {
      return whenSettled(
        value,
        (settled) => {
          keepItem(batch, i, settled);
          return runItems(batch, i + 1);
        },
        (error: unknown) => {
          errors.push([i, serialized(error)]);
          return runItems(batch, i + 1);
        },
      );
    }
    keepItem(batch, i, value);
  }
  return undefined;
}

/**
 * Keeps item `i`'s value. Each value is checked on its own: one item that cannot travel fails
 * alone. An item may give its buffers up with moveResult(), as a lone task does.
 */
function keepItem(batch: Batch, i: number, value: unknown): void {
  try {
    const moved = movedValue(value);
    const item = moved === undefined ? value : moved.value;
    const { problem, transferList } = inspectValue(item, moved !== undefined, `result[${i}]`);
    if (problem !== undefined) {
      throw new UncloneableResultError(batch.context.name, problem.path, problem.kind);
    }
    batch.values[i] = item;
    for (const buffer of transferList) batch.transfer.add(buffer);
  } catch (error) {
    batch.errors.push([i, serialized(error)]);
  }
}

/** A task's value as it travels back; throws when it cannot. */
function encode(name: string, result: unknown, sink: Set<ArrayBuffer> | undefined): unknown {
  // Most results of small tasks are primitives: nothing to move, nothing to refuse.
  if (!isReference(result)) return result;
  const { value, transferList } = inspectResult(name, result, 'result');
  return deliver(value, transferList, sink);
}

/** `value` with the buffers it gives up: into `sink` when given, else as a {@link Moving}. */
function deliver(
  value: unknown,
  transferList: ArrayBuffer[],
  sink: Set<ArrayBuffer> | undefined,
): unknown {
  if (sink === undefined) return movable(value, transferList);
  for (const buffer of transferList) sink.add(buffer);
  return value;
}

/** `result` unwrapped from `moveResult()`, with the buffers it gives up; throws when it cannot travel. */
function inspectResult(
  name: string,
  result: unknown,
  path: string,
): { value: unknown; transferList: ArrayBuffer[] } {
  const wrapped = movedValue(result);
  const value = wrapped === undefined ? result : wrapped.value;
  const { problem, transferList } = inspectValue(value, wrapped !== undefined, path, CHECK_BUDGET);
  if (problem !== undefined) throw new UncloneableResultError(name, problem.path, problem.kind);
  return { value, transferList };
}

/** An answer that moves buffers (its transfer list goes to `postMessage`). */
class Moving {
  constructor(
    readonly value: unknown,
    readonly transferList: ArrayBuffer[],
  ) {}
}

/** `value` as it is posted: as is, or with the buffers it moves. */
function movable(value: unknown, transferList: ArrayBuffer[]): unknown {
  return transferList.length === 0 ? value : new Moving(value, transferList);
}
