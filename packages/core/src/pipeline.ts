/**
 * `engine.pipeline(source)`: a stream of items through stages on the loop (`io`, `map`,
 * `filter`, `flatMap`, `tap`, `batch`) and in the pool (`cpu`), with bounded buffers between
 * them, a failure policy, checkpoints and progress, into a sink (`toFile`, `collect`, `run`,
 * `for await`). A pipeline is a description: nothing runs until a sink is called, and each
 * stage method returns a new pipeline.
 *
 * @module
 */
import {
  InvalidArgumentError,
  type TaskInput,
  type TaskModule,
  type TaskResult,
  type TasksOf,
  UnknownTaskError,
} from '@tandem/workers';
import { checkFunction, checkInteger } from '@tandem/workers/internal';
import { PipelineUsedError } from './errors.js';
import { cpuStage } from './internal/pipeline/cpu-stage.js';
import { ioStage } from './internal/pipeline/io-stage.js';
import { batchStage, loopStage } from './internal/pipeline/loop-stages.js';
import type { PipelineReport } from './internal/pipeline/report.js';
import { type PipelineHost, PipelineRun, type PipelineSpec } from './internal/pipeline/run.js';
import {
  CollectSink,
  DiscardSink,
  FileSink,
  type Sink,
  StreamSink,
} from './internal/pipeline/sinks.js';
import type { StageSpec } from './internal/pipeline/stage-runtime.js';
import { readOptions } from './internal/read-options.js';
import {
  type CheckedPipelineOptions,
  type CpuStageOptions,
  checkConcurrency,
  checkCpuOptions,
  checkIoOptions,
  checkPath,
  checkStageName,
  checkToFileOptions,
  type IoContext,
  type IoStageOptions,
  type LoopStageOptions,
  type ToFileOptions,
} from './pipeline-options.js';

/** Names of the module's tasks whose input accepts `T`: what `.cpu()` may be given. */
export type CpuTaskName<Module extends TaskModule, T> = {
  [K in keyof TasksOf<Module> & string]: [T] extends [TaskInput<TasksOf<Module>[K]>] ? K : never;
}[keyof TasksOf<Module> & string];

/** A `for await` view of a run, with its report once it ends. */
export interface PipelineStream<T> extends AsyncIterable<T> {
  /**
   * Resolves when the run ends (rejects when it fails): the loop took every value, or left
   * early, which stops the run (the report then says `interrupted`). So do not await it inside
   * the loop: it waits for the loop.
   */
  readonly report: Promise<PipelineReport>;
}

/**
 * A pipeline: see the module comment and the pipeline guide. Stage methods check their
 * arguments at once (`ERR_TANDEM_INVALID_ARGUMENT`, `ERR_TANDEM_OUT_OF_RANGE`) and return a
 * new pipeline; this one can no longer be run or extended (`ERR_TANDEM_PIPELINE_USED`).
 */
export class Pipeline<T, Module extends TaskModule = TaskModule> implements AsyncIterable<T> {
  readonly #host: PipelineHost;
  readonly #source: Iterable<unknown> | AsyncIterable<unknown>;
  readonly #options: CheckedPipelineOptions<unknown>;
  readonly #stages: readonly StageSpec[];
  #used: string | undefined;

  /** @internal Built by `engine.pipeline()`. */
  constructor(
    host: PipelineHost,
    source: Iterable<unknown> | AsyncIterable<unknown>,
    options: CheckedPipelineOptions<unknown>,
    stages: readonly StageSpec[] = [],
  ) {
    this.#host = host;
    this.#source = source;
    this.#options = options;
    this.#stages = stages;
  }

  /** `fn(item)` on the loop; its (awaited) value goes on. A throw is the item's failure. */
  map<U>(
    fn: (item: T) => U | PromiseLike<U>,
    options?: LoopStageOptions,
  ): Pipeline<Awaited<U>, Module> {
    return this.#loop('map', fn, options);
  }

  /** Keeps the items `fn` says yes to (a truthy value, awaited). */
  filter<S extends T>(fn: (item: T) => item is S, options?: LoopStageOptions): Pipeline<S, Module>;
  filter(fn: (item: T) => unknown, options?: LoopStageOptions): Pipeline<T, Module>;
  filter(fn: (item: T) => unknown, options?: LoopStageOptions): Pipeline<T, Module> {
    return this.#loop('filter', fn, options);
  }

  /**
   * Each item becomes the values of the iterable (or async iterable, or promise of one) that
   * `fn` returns; they are gathered before going on. A source item is finished once all of
   * them are.
   */
  flatMap<U>(
    fn: (item: T) => Iterable<U> | AsyncIterable<U> | PromiseLike<Iterable<U>>,
    options?: LoopStageOptions,
  ): Pipeline<U, Module> {
    return this.#loop('flatMap', fn, options);
  }

  /** Calls `fn(item)` (awaited) and passes the item on unchanged. */
  tap(fn: (item: T) => unknown, options?: LoopStageOptions): Pipeline<T, Module> {
    return this.#loop('tap', fn, options);
  }

  /** Groups every `size` items into an array (the last one may be shorter). */
  batch(size: number, options?: { readonly name?: string | undefined }): Pipeline<T[], Module> {
    checkInteger('size', size, 1);
    const name = checkStageName(readOptions('options', options).name);
    return this.#extend(batchStage(size, name));
  }

  /**
   * An async function per item on the loop: `concurrency` at once (default 8), each attempt
   * under `timeout`, a permit of `limiter` (per `key`) and the run's cancellation (`signal`),
   * retried per `retry`. See `IoStageOptions`.
   */
  io<U>(
    fn: (item: T, context: IoContext) => U | PromiseLike<U>,
    options?: IoStageOptions<T>,
  ): Pipeline<Awaited<U>, Module> {
    checkFunction('fn', fn);
    const policy = checkIoOptions(options);
    const name = checkStageName(policy.name);
    return this.#extend(
      ioStage(fn as (item: unknown, context: IoContext) => unknown, name, {
        ...policy,
        key: policy.key as ((item: unknown) => string) | undefined,
      }),
    );
  }

  /**
   * Task `task` of the engine's module on each item, in the pool, several items per message
   * (see `CpuStageOptions`). Typed by the module: the item type must fit the task's input.
   * A name the module does not define throws `UnknownTaskError` (`ERR_TANDEM_UNKNOWN_TASK`)
   * at once, rather than failing every item.
   */
  cpu<Name extends CpuTaskName<Module, T>>(
    task: Name,
    options?: CpuStageOptions,
  ): Pipeline<TaskResult<TasksOf<Module>[Name]>, Module> {
    if (typeof task !== 'string') {
      throw new InvalidArgumentError(`Expected the task name to be a string, got ${typeof task}`);
    }
    // A backend that cannot know the names (remote workers decide) leaves the check to them.
    if (this.#host.taskNames !== undefined && !this.#host.taskNames.includes(task)) {
      throw new UnknownTaskError(task, this.#host.taskNames);
    }
    const { batch, concurrency, name } = checkCpuOptions(options, this.#host.threads);
    return this.#extend(cpuStage(task, checkStageName(name), batch, concurrency));
  }

  /**
   * Runs the pipeline into an NDJSON file: written to `<path>.part` and renamed to `path` once
   * the run completes, so `path` never holds a partial run. Resolves with the report.
   * Interrupted (engine close or shutdown), it resolves with `interrupted: true` and no
   * output, keeping the `.part` file only for a checkpoint's resume. Rejects on failure; a
   * schema fast-json-stringify cannot compile rejects with `InvalidArgumentError`
   * (`ERR_TANDEM_INVALID_ARGUMENT`, the compiler's error as `cause`) before anything is written.
   */
  toFile(path: string, options?: ToFileOptions): Promise<PipelineReport> {
    return this.#start(() => {
      checkPath('path', path);
      return new FileSink(path, checkToFileOptions(options).schema);
    }).report;
  }

  /** Runs the pipeline and resolves with every output value (in the order they arrived). */
  async collect(): Promise<T[]> {
    const sink = new CollectSink();
    await this.#start(() => sink).report;
    return sink.rows as T[];
  }

  /** Runs the pipeline for its stages' effects, dropping the outputs. Resolves with the report. */
  run(): Promise<PipelineReport> {
    return this.#start(() => new DiscardSink()).report;
  }

  /**
   * Runs the pipeline into a `for await` loop, at most `buffer` values ahead of it. With a
   * checkpoint, an item is journaled once the loop has come back for the value after its last
   * one (its body ran): a crash redoes the value being handled, never loses it.
   */
  stream(): PipelineStream<T> {
    let run: PipelineRun | undefined;
    let sink: StreamSink | undefined;
    const started = this.#start(
      () => {
        sink = new StreamSink(this.#options.buffer, (keys) => run?.consumed(keys));
        return sink;
      },
      (r) => {
        run = r;
      },
    );
    const report = started.report;
    return {
      report,
      [Symbol.asyncIterator]: (): AsyncIterator<T> => ({
        next: async () => {
          const next = await (sink?.next() ?? Promise.resolve(undefined));
          if (next !== undefined) return { value: next.value as T, done: false };
          await report;
          return { value: undefined, done: true };
        },
        return: async () => {
          // Leaving the loop: stop at once, keep what finished (reported as interrupted).
          await run?.drain(0);
          await report.catch(() => {});
          return { value: undefined, done: true };
        },
      }),
    };
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.stream()[Symbol.asyncIterator]();
  }

  #loop<U>(
    kind: 'map' | 'filter' | 'flatMap' | 'tap',
    fn: unknown,
    options: LoopStageOptions | undefined,
  ): Pipeline<U, Module> {
    checkFunction('fn', fn);
    const o = readOptions('options', options);
    const name = checkStageName(o.name);
    const concurrency = checkConcurrency(o.concurrency, 1);
    return this.#extend(loopStage(kind, fn as (value: unknown) => unknown, name, concurrency));
  }

  #extend<U>(stage: StageSpec): Pipeline<U, Module> {
    this.#use('extended');
    return new Pipeline<U, Module>(this.#host, this.#source, this.#options, [
      ...this.#stages,
      stage,
    ]);
  }

  #use(what: string): void {
    if (this.#used !== undefined) throw new PipelineUsedError(this.#used);
    this.#used = what;
  }

  /** Starts a run into the sink `makeSink` builds; every failure becomes the report's rejection. */
  #start(
    makeSink: () => Sink,
    onRun?: (run: PipelineRun) => void,
  ): { report: Promise<PipelineReport> } {
    let report: Promise<PipelineReport>;
    try {
      this.#use('run');
      const spec: PipelineSpec = {
        source: this.#source,
        options: this.#options,
        stages: this.#stages,
      };
      const run = new PipelineRun(spec, this.#host, makeSink());
      onRun?.(run);
      report = run.execute();
    } catch (error) {
      report = Promise.reject(error);
    }
    // The stream's report may never be awaited (a loop that breaks out): no unhandled rejection.
    report.catch(() => {});
    return { report };
  }
}
