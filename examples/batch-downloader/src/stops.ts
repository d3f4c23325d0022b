/**
 * How a run is stopped early: Ctrl-C or SIGTERM (the engine's `shutdownSignals` drain the
 * pipeline; here, no new download starts from then on), or the deadline (the run is cut at
 * once). Says which happened, for the summary and the exit code.
 *
 * @module
 */
import type { Engine } from '@tandem/core';

export interface Stops {
  /** Aborts on the first Ctrl-C / SIGTERM: downloads not yet started then never start. */
  readonly stopping: AbortSignal;
  /** What stopped the run (`Ctrl-C`, `SIGTERM`, `the deadline (…)`), if anything did. */
  readonly reason: string | undefined;
  readonly deadlinePassed: boolean;
  /** Clears the timers; call when the run has ended. */
  dispose(): void;
}

export function watchStops(
  engine: Engine<any>,
  options: { readonly grace: number; readonly deadline: number },
  log: (line: string) => void,
): Stops {
  const stopping = new AbortController();
  let reason: string | undefined;
  let deadlinePassed = false;
  for (const [signal, name] of [
    ['SIGINT', 'Ctrl-C'],
    ['SIGTERM', 'SIGTERM'],
  ] as const) {
    process.once(signal, () => {
      reason ??= name;
      stopping.abort();
      log(
        `stopping: downloads under way get ${options.grace} ms to finish (${name} again quits at once)`,
      );
    });
  }
  // The deadline cuts the run at once: finished files are kept and journaled, the rest is
  // left for --resume (downloads cut off delete their .part, as after the Ctrl-C grace).
  const deadline = Number.isFinite(options.deadline)
    ? setTimeout(() => {
        deadlinePassed = reason === undefined;
        reason ??= `the deadline (${options.deadline} ms)`;
        void engine.close({ timeout: 0 });
      }, options.deadline)
    : undefined;
  return {
    stopping: stopping.signal,
    get reason() {
      return reason;
    },
    get deadlinePassed() {
      return deadlinePassed;
    },
    dispose() {
      clearTimeout(deadline);
    },
  };
}
