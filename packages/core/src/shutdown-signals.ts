/**
 * Graceful shutdown on SIGINT / SIGTERM: the first signal starts an orderly shutdown (stop
 * intake, cancel the engine's scopes, let in-flight work finish or be cancelled within a
 * grace period); a second one forces the exit at once.
 *
 * @module
 */
import { constants } from 'node:os';

/** The signals Tandem handles when asked to. */
export type ShutdownSignal = 'SIGINT' | 'SIGTERM';

/**
 * Installs the handlers; returns a function that removes them.
 *
 * While installed they replace Node's default (exit at once). After the graceful shutdown the
 * process ends by itself once nothing else keeps it alive, with `process.exitCode` set to
 * `128 + signal number` (130 for SIGINT, 143 for SIGTERM) unless the program set one.
 */
export function onShutdownSignals(
  signals: readonly ShutdownSignal[],
  shutdown: (signal: ShutdownSignal) => Promise<void>,
): () => void {
  let received = false;
  const handler = (signal: ShutdownSignal) => {
    const code = 128 + constants.signals[signal];
    if (received) process.exit(code); // second signal: the user insists
    received = true;
    process.exitCode ??= code;
    void shutdown(signal);
  };
  for (const signal of signals) process.on(signal, handler);
  return () => {
    for (const signal of signals) process.off(signal, handler);
  };
}
