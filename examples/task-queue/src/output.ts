/**
 * Where lines go: results and the summary on stdout, logs and the dashboard on stderr. On a
 * terminal the dashboard owns stderr's last line (redrawn in place), so every other line
 * clears it first; elsewhere (a pipe, a CI log) each dashboard update is a line of its own.
 *
 * @module
 */

export interface Output {
  /** A result line (stdout). */
  result(line: string): void;
  /** A log line (stderr). */
  log(line: string): void;
  /** The dashboard line: in place on a terminal, appended otherwise. */
  status(line: string): void;
  /** Leaves the dashboard's last line on screen (a terminal would clear it at the next line). */
  keepStatus(): void;
  /** Ms between dashboard updates: frequent on a terminal, sparse in a log. */
  readonly statusEvery: number;
}

export function consoleOutput(): Output {
  const tty = process.stderr.isTTY === true;
  const clear = tty ? '\r\x1b[K' : '';
  return {
    result(line) {
      if (tty) process.stderr.write(clear);
      process.stdout.write(`${line}\n`);
    },
    log(line) {
      process.stderr.write(`${clear}${line}\n`);
    },
    status(line) {
      process.stderr.write(tty ? `${clear}${line}` : `${line}\n`);
    },
    keepStatus() {
      if (tty) process.stderr.write('\n');
    },
    statusEvery: tty ? 250 : 1_000,
  };
}
