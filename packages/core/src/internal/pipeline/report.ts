/**
 * What a finished (or interrupted) pipeline run reports.
 *
 * @module
 */
import type { LoopDelay } from '../../diagnostics/loop-delay.js';
import type { StageReport } from './stage-runtime.js';

export type { StageReport } from './stage-runtime.js';

/** The result of `toFile()` and `run()` (and `stream().report`). Counts are of source items. */
export interface PipelineReport {
  /**
   * True when the run stopped before the source was exhausted: an engine `close()` or
   * `shutdown()` (first SIGINT with `shutdownSignals`), or a `for await` loop left early.
   * What finished is written and journaled; the rest is left for a resumed run.
   */
  readonly interrupted: boolean;
  /** Items read from the source (resumed ones included). */
  readonly read: number;
  /** Items finished with every part written or filtered out. */
  readonly done: number;
  /** Items with a part that failed: `skipped + deadLettered` (batched items fail together). */
  readonly failed: number;
  readonly skipped: number;
  readonly deadLettered: number;
  /** Attempts beyond the first, over all io stages. */
  readonly retried: number;
  /** Items skipped because the checkpoint journal had them finished. */
  readonly resumed: number;
  /** Wall time of the run, ms. */
  readonly elapsed: number;
  /** Finished items (done + failed) per second. */
  readonly rate: number;
  /** Event-loop delay during the run. */
  readonly loop: LoopDelay;
  /** One row per stage, the sink last. */
  readonly stages: readonly StageReport[];
  /** The output file, once renamed into place (undefined if not written). */
  readonly output: string | undefined;
  /** The dead-letter file, once renamed into place. */
  readonly deadLetter: string | undefined;
}
