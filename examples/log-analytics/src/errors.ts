/**
 * The example's own failures. They are the application's, not Tandem's, so their codes are
 * `ERR_LOG_ANALYTICS_…` rather than `ERR_TANDEM_…`; like Tandem's, the code is permanent and
 * the message says what to do.
 *
 * @module
 */

/** The log file to analyse does not exist (or is not a readable file). */
export class LogFileNotFoundError extends Error {
  readonly code = 'ERR_LOG_ANALYTICS_FILE_NOT_FOUND' as const;
  readonly path: string;
  constructor(path: string, options?: ErrorOptions) {
    super(
      `No log file at ${path}. Pass --generate to write one there first, or omit --file to use the generated default.`,
      options,
    );
    this.name = 'LogFileNotFoundError';
    this.path = path;
  }
}
