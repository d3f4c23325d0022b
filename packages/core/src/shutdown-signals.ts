/**
 * Graceful shutdown on SIGINT / SIGTERM: the first signal starts an orderly shutdown (stop
 * intake, cancel the engine's scopes, let in-flight work finish or be cancelled within a
 * grace period); a second one forces the exit at once.
 *
 * @module
 */
import { constants } from 'node:os';
import { InvalidArgumentError } from '@tandem/workers';
import { readArray } from './internal/read-options.js';

/** The signals Tandem handles when asked to. */
export type ShutdownSignal = 'SIGINT' | 'SIGTERM';

/** Every {@link ShutdownSignal}. */
export const SHUTDOWN_SIGNALS: readonly ShutdownSignal[] = Object.freeze(['SIGINT', 'SIGTERM']);

/**
 * Checks a list of shutdown signals and returns a frozen copy (so that a later change to the
 * caller's array cannot unbalance installing and removing the handlers).
 *
 * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`) when `value` is not an array of
 * {@link SHUTDOWN_SIGNALS}, or names one twice (the handler would then see one signal as two,
 * and force the exit at once).
 */
export function checkShutdownSignals(name: string, value: unknown): readonly ShutdownSignal[] {
  const signals = readArray(name, value);
  if (!Array.isArray(signals)) {
    throw new InvalidArgumentError(
      `Expected ${name} to be an array such as ['SIGINT', 'SIGTERM'], got ${signals === null ? 'null' : typeof signals}`,
    );
  }
  for (const [i, signal] of signals.entries()) {
    if (!SHUTDOWN_SIGNALS.includes(signal)) {
      const got = typeof signal === 'string' ? JSON.stringify(signal) : typeof signal;
      throw new InvalidArgumentError(
        `Expected ${name}[${i}] to be one of ${SHUTDOWN_SIGNALS.join(', ')}, got ${got}`,
      );
    }
    if (signals.indexOf(signal) !== i) {
      throw new InvalidArgumentError(
        `Expected ${name} to name each signal once; ${signal} is twice`,
      );
    }
  }
  return Object.freeze(signals as ShutdownSignal[]);
}

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
