/**
 * One run of a pipeline: source → stages → sink inside a scope of its own, with the failure
 * policy, the checkpoint journal, progress, and the drain that an engine close asks for.
 *
 * Endings:
 * - complete (and a `for await` loop took every value): outputs renamed into place, journal
 *   deleted, report resolved;
 * - drained (`drain(grace)`: engine close or shutdown, or a `for await` loop left early):
 *   intake stops, items no stage has begun are left, in-flight items get `grace` ms, then
 *   are abandoned; what finished is
 *   committed; report resolved with `interrupted: true`;
 * - failed (`onError: 'fail'`, a broken source, a callback that threw) or cancelled
 *   (`options.signal`): in-flight items are abandoned, what finished is committed, and the
 *   run rejects.
 * With a checkpoint, the `.part` files and the journal are kept for a resumed run whenever it
 * did not complete; without one, they are deleted: no output is ever half-written.
 *
 * @module
 */
import { setMaxListeners } from 'node:events';
import { CallbackError, clock, InvalidArgumentError } from '@tandem/workers';
import { deferred, startTimer, type Timer } from '@tandem/workers/internal';
import { LoopDelayMonitor } from '../../diagnostics/loop-delay.js';
import { CancelledError, type PipelineAttempt, PipelineItemError } from '../../errors.js';
import type { CheckedPipelineOptions, PipelineProgress } from '../../pipeline-options.js';
import { newScope } from '../../scope.js';
import { type Envelope, type Group, GroupBook, newGroup } from './groups.js';
import { ProgressBar } from './progress-bar.js';
import { raceAbort } from './race-abort.js';
import type { PipelineReport } from './report.js';
import { RunFiles, type Written } from './run-files.js';
import type { Sink } from './sinks.js';
import { readSource } from './source.js';
import { isThenable, StageCounters, type StageRuntime, type StageSpec } from './stage-runtime.js';

/** What the engine gives a run. */
export interface PipelineHost {
  readonly threads: number;
  /** The tasks the engine's module defines (what `.cpu()` may name). */
  readonly taskNames: readonly string[] | undefined;
  /** Runs task `name` on `inputs` as one message. */
  cpu(name: string, inputs: unknown[]): Promise<PromiseSettledResult<unknown>[]>;
  /** Registers a run for `close()` to drain; throws `PoolClosedError` once closing. */
  attach(run: { drain(grace: number): Promise<void> }): () => void;
}

export interface PipelineSpec {
  readonly source: Iterable<unknown> | AsyncIterable<unknown>;
  readonly options: CheckedPipelineOptions<unknown>;
  readonly stages: readonly StageSpec[];
}

/** Codes that are no item's fault: the run stops, whatever the policy. */
const RUN_LEVEL = new Set([
  'ERR_TANDEM_POOL_CLOSED',
  'ERR_TANDEM_POOL_DESTROYED',
  'ERR_TANDEM_POOL_BROKEN',
  // A misspelt task name is the pipeline's fault, not the item's: skipping every item would hide it.
  'ERR_TANDEM_UNKNOWN_TASK',
]);
/** Ms after a stop that the run still waits for work ignoring its signal, before giving up on it. */
const ABANDON_AFTER = 1_000;
/** Ms of uninterrupted microtask work after which the pump lets timers and I/O run. */
const YIELD_EVERY = 10;
/** Finished keys past which the run commits at once rather than at the next tick. */
const COMMIT_KEYS = 10_000;

export class PipelineRun {
  readonly #spec: PipelineSpec;
  readonly #host: PipelineHost;
  readonly #sink: Sink;
  readonly #counters: StageCounters[];
  readonly #sinkCounters: StageCounters;
  readonly #book: GroupBook;
  readonly #monitor = new LoopDelayMonitor();
  readonly #bar: ProgressBar | undefined;
  readonly #stopIntake = deferred<void>();
  readonly #finished = deferred<void>();
  readonly #abandon = deferred<void>();
  /** Set when the run opens its files. */
  #files: RunFiles | undefined;
  #done = new Set<string>();
  #seen = new Set<string>();
  #scope: ReturnType<typeof newScope> | undefined;
  #fatal: { error: unknown } | undefined;
  #cutOff = false;
  #draining = false;
  /** Items a drain left before any stage began on them. */
  #left = 0;
  /** The run's outcome is decided (or it failed): no more timers, no more failures. */
  #over = false;
  #exhausted = false;
  #timers: Timer[] = [];
  #started = 0;
  #count = { read: 0, done: 0, failed: 0, skipped: 0, deadLettered: 0, retried: 0, resumed: 0 };

  constructor(spec: PipelineSpec, host: PipelineHost, sink: Sink) {
    this.#spec = spec;
    this.#host = host;
    this.#sink = sink;
    this.#counters = spec.stages.map(
      (stage, i) => new StageCounters(stage.name ?? `${stage.kind}#${i + 1}`, stage.kind),
    );
    this.#sinkCounters = new StageCounters(sink.kind, 'sink');
    const holdRows = spec.options.checkpoint !== undefined;
    this.#book = new GroupBook(
      { write: (row) => sink.write(row), finished: (group) => this.#finishedGroup(group) },
      holdRows,
    );
    this.#bar = spec.options.progressBar ? new ProgressBar() : undefined;
  }

  /** Runs to the end; see the module comment for how it ends. */
  async execute(): Promise<PipelineReport> {
    try {
      const detach = this.#host.attach(this);
      try {
        return await this.#execute();
      } finally {
        detach();
      }
    } catch (error) {
      // A `for await` loop waiting for the next value must learn that none will come.
      this.#sink.end(error);
      throw error;
    } finally {
      this.#finished.resolve();
    }
  }

  /** Stops intake; abandons what is still in flight after `grace` ms. Resolves when the run ended. */
  drain(grace: number): Promise<void> {
    this.#draining = true;
    this.#stopIntake.resolve();
    // Ref'd: a close waiting for this run keeps the process up until the grace runs out. Not
    // armed once the run's timers were cancelled (it ended): it would only hold the process.
    if (grace <= 0) this.#cut();
    else if (!this.#over) this.#timers.push(startTimer(grace, () => this.#cut()));
    return this.#finished.promise;
  }

  async #execute(): Promise<PipelineReport> {
    const { options } = this.#spec;
    this.#started = clock().now();
    this.#monitor.start();
    try {
      await this.#openFiles();
      this.#startTimers();
      const scope = newScope({ name: options.name, signal: options.signal }, { errorMode: 'body' });
      // Every item in flight may wait on the run's signal at once (a limiter's queue, a cpu
      // message): one listener each, as many as the stages' concurrency, not a leak.
      setMaxListeners(0, scope.signal);
      this.#scope = scope;
      // Cut off while its files were opening: the pump never starts.
      if (this.#cutOff) scope.cancel();
      try {
        const ran = scope.run((s) => this.#pump(s.signal));
        ran.catch(() => {}); // when abandoned, a later rejection has nobody left to tell
        await Promise.race([ran, this.#abandon.promise]);
      } catch (error) {
        // A cancellation from options.signal, or what the pump threw while not cut off.
        if (!this.#cutOff) this.#fatal ??= { error };
      }
      // Whatever ended the pump, nothing more is read (a source blocked in next() is let go).
      this.#stopIntake.resolve();
      if (this.#fatal === undefined && !this.#cutOff && scope.signal.aborted) {
        this.#fatal = { error: scope.signal.reason };
      }
      return await this.#end();
    } catch (error) {
      await this.#files?.abandon();
      throw error;
    } finally {
      this.#over = true;
      for (const timer of this.#timers) timer.cancel();
      this.#monitor.stop();
      this.#bar?.end();
    }
  }

  async #pump(signal: AbortSignal): Promise<void> {
    const rt = this.#runtime(signal);
    const chunk = Math.min(this.#spec.options.buffer, 256);
    const reader = {
      admit: (item: unknown) => this.#admit(item),
      stopped: this.#stopIntake,
      exhausted: false,
    };
    let stream: AsyncIterable<Envelope[]> = readSource(this.#spec.source, chunk, reader);
    // Cancelled (options.signal, a failure, the grace ran out): read nothing more.
    const stopReading = () => this.#stopIntake.resolve();
    signal.addEventListener('abort', stopReading, { once: true });
    for (const [i, stage] of this.#spec.stages.entries()) {
      stream = stage.build(stream, rt, this.#counters[i] as StageCounters);
    }
    const it = stream[Symbol.asyncIterator]();
    // The run's cancellation (options.signal, a failure, the drain's cut) must not wait for a
    // stage stuck in the caller's code (an io function or a source that ignores its signal):
    // every wait here also ends when the signal aborts, and the stages are then let go.
    let open = true;
    try {
      let ranSince = clock().now();
      for (;;) {
        const next = await raceAbort(it.next(), signal);
        if (next.done === true) {
          open = false;
          break;
        }
        for (const envelope of next.value) this.#emit(envelope);
        const relief = this.#sink.relieve();
        if (relief !== undefined) await raceAbort(relief, signal);
        // A pipeline of synchronous stages would otherwise be one long chain of microtasks:
        // no timer (commits, progress) and no I/O would run until it ends.
        if (clock().now() - ranSince > YIELD_EVERY) {
          await new Promise((resolve) => setImmediate(resolve));
          ranSince = clock().now();
        }
        if ((this.#files?.waiting ?? 0) >= COMMIT_KEYS) await this.#files?.commit();
        if (this.#fatal !== undefined || this.#cutOff || signal.aborted) break;
      }
    } catch (error) {
      // Once cut off (or failed), a stage rejecting with the cancellation is expected.
      if (!this.#cutOff && this.#fatal === undefined) throw error;
    } finally {
      signal.removeEventListener('abort', stopReading);
      // Close the stages (and the source) without waiting for one still in the caller's code.
      if (open) void it.return?.().catch(() => {});
      this.#exhausted = reader.exhausted;
    }
  }

  #runtime(signal: AbortSignal): StageRuntime {
    const { buffer, ordered } = this.#spec.options;
    return {
      book: this.#book,
      signal,
      draining: () => this.#draining,
      left: () => {
        this.#left += 1;
      },
      buffer,
      ordered,
      threads: this.#host.threads,
      fail: (stage, envelope, error, attempts) => this.#fail(stage, envelope, error, attempts),
      retried: (stage) => {
        stage.retried += 1;
        this.#count.retried += 1;
      },
      cpu: (name, inputs) => this.#host.cpu(name, inputs),
    };
  }

  /** A source item enters: its key checked against the journal, its group started. */
  #admit(item: unknown): Envelope | undefined {
    this.#count.read += 1;
    const checkpoint = this.#spec.options.checkpoint;
    if (checkpoint === undefined) return { value: item, group: newGroup(undefined) };
    let key: unknown;
    try {
      key = checkpoint.key(item);
      // A promise is refused below; its rejection must not go unhandled.
      onRejected(key, () => {});
    } catch (error) {
      return this.#failAtSource(item, new CallbackError('options.checkpoint.key', error));
    }
    if (typeof key !== 'string') {
      return this.#failAtSource(
        item,
        new InvalidArgumentError(
          `Expected options.checkpoint.key() to return a string, got ${typeof key}`,
        ),
      );
    }
    if (this.#done.has(key)) {
      this.#count.resumed += 1;
      return undefined;
    }
    if (this.#seen.has(key)) {
      return this.#failAtSource(
        item,
        new InvalidArgumentError(
          `options.checkpoint.key() returned '${key}' for two source items; keys must be unique`,
        ),
      );
    }
    this.#seen.add(key);
    return { value: item, group: newGroup(key) };
  }

  #failAtSource(item: unknown, error: unknown): undefined {
    const envelope = { value: item, group: newGroup(undefined) };
    this.#fail(new StageCounters('source', 'source'), envelope, error, []);
    return undefined;
  }

  #emit(envelope: Envelope): void {
    const counters = this.#sinkCounters;
    counters.in += 1;
    let row: unknown;
    try {
      row = this.#sink.encode(envelope.value);
    } catch (error) {
      counters.failed += 1;
      this.#fail(counters, envelope, error, []);
      return;
    }
    counters.out += 1;
    this.#book.emit(envelope, row);
  }

  /** The failure policy. Failures after the run was cut off are dropped: those items are redone. */
  #fail(
    stage: StageCounters,
    envelope: Envelope,
    error: unknown,
    attempts: PipelineAttempt[] = [],
  ): void {
    if (this.#cutOff || this.#fatal !== undefined || this.#scope?.signal.aborted) return;
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && RUN_LEVEL.has(code)) {
      this.#stop({ error });
      return;
    }
    const choice = this.#decide(error, envelope.value, stage);
    if (choice === undefined) return;
    if (choice === 'fail') {
      this.#stop({ error: new PipelineItemError(stage.name, envelope.value, attempts, error) });
      return;
    }
    if (choice === 'deadLetter') {
      this.#count.deadLettered += 1;
      this.#files?.deadLetter(envelope.value, stage.name, attempts, error);
    } else {
      this.#count.skipped += 1;
    }
    this.#book.drop(envelope, true);
  }

  /** The policy's choice, or undefined when the decider itself failed (the run then stops). */
  #decide(
    error: unknown,
    item: unknown,
    stage: StageCounters,
  ): 'fail' | 'skip' | 'deadLetter' | undefined {
    const { action, decide, deadLetter } = this.#spec.options.onError;
    if (decide === undefined) return action;
    let choice: unknown;
    try {
      choice = decide(error, item, { name: stage.name, kind: stage.kind });
      // A promise is refused below; its rejection must not go unhandled.
      onRejected(choice, () => {});
    } catch (thrown) {
      this.#stop({ error: new CallbackError('options.onError', thrown) });
      return undefined;
    }
    const allowed = deadLetter === undefined ? ['fail', 'skip'] : ['fail', 'skip', 'deadLetter'];
    if (typeof choice !== 'string' || !allowed.includes(choice)) {
      this.#stop({
        error: new InvalidArgumentError(
          `Expected options.onError's decider to return ${allowed.map((a) => `'${a}'`).join(', ')}, got ${String(choice)}`,
        ),
      });
      return undefined;
    }
    return choice as 'fail' | 'skip' | 'deadLetter';
  }

  /** Fails the run: cancels everything in flight; the pump then stops. */
  #stop(fatal: { error: unknown }): void {
    this.#fatal ??= fatal;
    this.#sink.abandon();
    // A `for await` loop gets no more values once the run has failed.
    this.#sink.end(this.#fatal.error);
    this.#scope?.cancel();
    this.#stopIntake.resolve();
    this.#armAbandon();
  }

  /** The drain's grace ran out: abandon what is in flight. */
  #cut(): void {
    if (this.#cutOff || this.#over) return;
    this.#cutOff = true;
    this.#sink.abandon();
    this.#scope?.cancel(
      new CancelledError('The pipeline was stopped; items in flight were abandoned.'),
    );
    this.#armAbandon();
  }

  /**
   * Stopped, the run waits for its scope (work in flight seeing the cancellation) — but not for
   * ever: work that ignores its signal and never settles would hang `close()`. The scope
   * reports it on `tandem:leak`, and it is left behind.
   */
  #armAbandon(): void {
    this.#timers.push(startTimer(ABANDON_AFTER, () => this.#abandon.resolve()));
  }

  #finishedGroup(group: Group): void {
    const failed = group.failed;
    this.#count.failed += failed;
    this.#count.done += group.keys.length - failed;
    const files = this.#files;
    if (files?.journaled !== true) return;
    for (const key of group.keys) {
      if (key !== undefined && !this.#sink.claim(key)) files.finished(key);
    }
  }

  /** Keys a `for await` loop has consumed past: journaled with the next commit. */
  consumed(keys: readonly string[]): void {
    for (const key of keys) this.#files?.finished(key);
  }

  async #openFiles(): Promise<void> {
    const { checkpoint, onError } = this.#spec.options;
    this.#files = new RunFiles(this.#sink.file, onError.deadLetter, checkpoint?.path);
    this.#done = await this.#files.open();
  }

  #startTimers(): void {
    const { checkpoint, onProgress, progressInterval } = this.#spec.options;
    if (checkpoint !== undefined)
      this.#every(
        checkpoint.every,
        () => void (this.#files?.commit() ?? Promise.resolve()).catch(() => {}),
      );
    if (onProgress !== undefined || this.#bar?.enabled) {
      this.#every(progressInterval, () => this.#progress());
    }
  }

  /** Calls `tick` every `ms` (unref'd: a run in progress keeps the process alive by itself). */
  #every(ms: number, tick: () => void): void {
    const arm = () => {
      const timer = startTimer(
        ms,
        () => {
          this.#timers = this.#timers.filter((t) => t !== timer);
          tick();
          arm();
        },
        true,
      );
      this.#timers.push(timer);
    };
    arm();
  }

  #progress(): void {
    const progress = this.progress();
    this.#bar?.draw(progress);
    const onProgress = this.#spec.options.onProgress;
    if (onProgress === undefined) return;
    const failed = (error: unknown) => {
      if (!this.#over) this.#stop({ error: new CallbackError('options.onProgress', error) });
    };
    try {
      // An async callback is not awaited; its rejection fails the run as a throw does.
      onRejected(onProgress(progress), failed);
    } catch (error) {
      failed(error);
    }
  }

  progress(): PipelineProgress {
    const { done, failed, retried, read, resumed } = this.#count;
    const elapsed = clock().now() - this.#started;
    const finished = done + failed;
    const rate = elapsed > 0 ? (finished * 1000) / elapsed : 0;
    const total = this.#spec.options.total;
    const left = total === undefined ? undefined : Math.max(0, total - resumed - finished);
    const eta = left === undefined || rate === 0 ? undefined : (left / rate) * 1000;
    return {
      done,
      failed,
      retried,
      resumed,
      inFlight: read - resumed - finished,
      total,
      rate,
      eta,
      elapsed,
      loop: this.#monitor.snapshot(),
    };
  }

  async #end(): Promise<PipelineReport> {
    // A `for await` loop has the last rows still to take: the run completes once it took them
    // (they are journaled then), or is interrupted if the loop leaves first.
    if (this.#fatal === undefined && this.#exhausted && !this.#cutOff) await this.#sink.drained();
    // The last progress call comes before the outcome is decided: a throw from it fails the
    // run, and a failed run renames nothing into place.
    if (this.#spec.options.onProgress !== undefined || this.#bar?.enabled) this.#progress();
    this.#over = true;
    const completed =
      this.#fatal === undefined && this.#exhausted && !this.#cutOff && this.#left === 0;
    this.#sink.end(this.#fatal?.error);
    const written = completed ? await this.#files?.complete() : await this.#files?.incomplete();
    if (this.#fatal !== undefined) throw this.#fatal.error;
    return this.#report(written ?? {});
  }

  #report(written: Written): PipelineReport {
    const p = this.progress();
    const { read, done, failed, skipped, deadLettered, retried, resumed } = this.#count;
    return {
      interrupted: !this.#exhausted || this.#cutOff || this.#left > 0,
      read,
      done,
      failed,
      skipped,
      deadLettered,
      retried,
      resumed,
      elapsed: p.elapsed,
      rate: p.rate,
      loop: p.loop,
      stages: [...this.#counters, this.#sinkCounters].map((c) => c.report()),
      output: written.output,
      deadLetter: written.deadLetter,
    };
  }
}

/** Calls `handle` with the rejection of `value` if it is a thenable (reading `then` may throw). */
function onRejected(value: unknown, handle: (error: unknown) => void): void {
  if (isThenable(value)) Promise.resolve(value).catch(handle);
}
