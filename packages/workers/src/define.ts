/**
 * The worker side of a task module: `export default defineTasks({ … })`.
 *
 * @module
 */
import { types } from 'node:util';
import { InvalidArgumentError } from './errors.js';

/** What every task receives as its second argument. */
export interface TaskContext {
  /** The task's name as called. */
  readonly name: string;
  /**
   * Aborts when the caller cancels (its `signal`), or the task's `timeout` or `deadline` passes.
   * Async tasks listen to it; a synchronous loop cannot receive events, so it calls
   * {@link TaskContext.checkpoint} instead. A task that ignores both is terminated after the
   * pool's grace period.
   */
  readonly signal: AbortSignal;
  /**
   * Throws the cancellation reason if the task was cancelled, and otherwise returns at once.
   * Reads shared memory, not messages, so it works inside a long synchronous loop. Cheap
   * enough to call every few microseconds.
   */
  checkpoint(): void;
  /** Sends `value` to the caller's `onProgress` (structured clone; fire and forget). */
  progress(value: unknown): void;
}

/** A task: pure CPU work on a structured-cloneable input. Sync or async. */
export type TaskFunction = (input: any, context: TaskContext) => unknown;

/** Task names to task functions. */
export type TaskMap = Record<string, TaskFunction>;

const kTaskModule = Symbol.for('tandem.taskModule');

/** What `defineTasks` returns; the default export of a task module. */
export interface TaskModule<Tasks extends TaskMap = TaskMap> {
  readonly [kTaskModule]: Tasks;
}

/** The task map of a task module type: `TasksOf<typeof tasks>`. */
export type TasksOf<Module> = Module extends TaskModule<infer Tasks> ? Tasks : never;

/** The input type of a task function. */
export type TaskInput<Fn> = Fn extends (input: infer Input, ...rest: any[]) => unknown
  ? Input
  : undefined;

/** The result type of a task function, as the caller receives it. */
export type TaskResult<Fn> = Fn extends (...args: any[]) => infer Result
  ? Unmoved<Awaited<Result>>
  : never;

/**
 * Declares the tasks of a module that runs in worker threads. The module's default export
 * must be this value; it imports only `@tandem/workers`, never the front end.
 *
 * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`) when a value is not a function.
 * @example
 * export default defineTasks({
 *   wordCount(text: string) { return text.split(/\s+/).length; },
 *   async render(page: Page, ctx) { ctx.progress(0.5); ctx.signal.throwIfAborted(); … },
 * });
 */
export function defineTasks<Tasks extends TaskMap>(tasks: Tasks): TaskModule<Tasks> {
  for (const [name, fn] of Object.entries(tasks)) {
    if (typeof fn !== 'function') {
      throw new InvalidArgumentError(
        `Expected task "${name}" to be a function, got ${typeof fn}. Each entry of defineTasks({ … }) is a task function.`,
      );
    }
  }
  // No prototype: a worker looks a task up by name, and a module that lacks `toString` must
  // not run Object.prototype's.
  const map = Object.assign(Object.create(null) as Tasks, tasks);
  return Object.freeze({ [kTaskModule]: Object.freeze(map) });
}

/** The tasks of a loaded module's default export, or undefined when it is not a task module. */
export function tasksOfModule(defaultExport: unknown): TaskMap | undefined {
  if (typeof defaultExport !== 'object' || defaultExport === null) return undefined;
  return (defaultExport as Partial<TaskModule>)[kTaskModule];
}

const kMoved = Symbol.for('tandem.moved');

/** A result whose buffers move back to the caller instead of being copied. */
export interface Moved<Value> {
  readonly [kMoved]: Value;
}

type Unmoved<Result> = Result extends Moved<infer Value> ? Value : Result;

/**
 * Marks a task's result so that the ArrayBuffers it holds (top level or nested, whole-buffer
 * views only) are transferred to the caller, not copied. The worker loses access to them.
 *
 * @example
 * resize(image: Uint8Array) { const out = new Uint8Array(…); …; return moveResult({ out }); }
 */
export function moveResult<Value>(value: Value): Moved<Value> {
  return { [kMoved]: value };
}

/** The value inside a {@link moveResult} wrapper, or undefined when `result` is not one. */
export function movedValue(result: unknown): { value: unknown } | undefined {
  // A Proxy (a revoked one throws on `in`) is never a moveResult() wrapper.
  if (typeof result === 'object' && result !== null && !types.isProxy(result) && kMoved in result) {
    return { value: (result as Moved<unknown>)[kMoved] };
  }
  return undefined;
}
