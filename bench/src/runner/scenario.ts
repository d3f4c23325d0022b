/**
 * The contract between `main.ts` and a scenario file: a name, a title, and `run(context)`
 * returning rows and judged targets. Sizes come from the context, so `--quick` shrinks every
 * scenario in one place of each file.
 *
 * @module
 */
import type { ScenarioResult } from './result.ts';

export interface ScenarioContext {
  /** Smoke run: tiny sizes, checks the runner works, not how fast anything is. */
  quick: boolean;
  /** The thread count every pool gets: `max(1, availableParallelism() - 1)` unless overridden. */
  threads: number;
  /** `os.availableParallelism()`, the upper end of the cpu-throughput sweep. */
  cores: number;
  /** Undefined when the engine can be run; otherwise why not (its rows and targets say so). */
  tandemUnavailable: string | undefined;
  /** Progress to stderr, so stdout stays a clean markdown document. */
  log(message: string): void;
}

export interface Scenario {
  name: string;
  title: string;
  run(context: ScenarioContext): Promise<Omit<ScenarioResult, 'name' | 'title' | 'elapsedMs'>>;
}
