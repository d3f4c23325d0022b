/**
 * What `src/main.ts` does once its flags are read: start the service, print the URL line,
 * and stop gracefully on SIGTERM/SIGINT.
 *
 * @module
 */
import { type ServiceOptions, startService } from './app.ts';
import type { Config } from './cli-options.ts';

/**
 * Starts the service and prints `{"url":"http://127.0.0.1:<port>"}` (one line, stdout) once it
 * listens. The first SIGTERM (SIGINT) closes it within `config.grace` and sets exit code 143
 * (130); the process then ends by itself. A second signal exits at once. A start that fails
 * exits 1. `extra` adds service options (tests swap the task module).
 */
export async function serve(config: Config, extra: ServiceOptions = {}): Promise<void> {
  let service: Awaited<ReturnType<typeof startService>>;
  try {
    service = await startService({
      port: config.port,
      cpu: config.cpu,
      threads: config.threads,
      deadline: config.deadline,
      logger: config.log,
      ...extra,
    });
  } catch (error) {
    console.error(`web-offload: could not start: ${(error as Error).message}`);
    process.exit(1);
  }
  const stop = (signal: NodeJS.Signals) => {
    const code = signal === 'SIGINT' ? 130 : 143;
    process.once('SIGINT', () => process.exit(code));
    process.once('SIGTERM', () => process.exit(code));
    console.error(`web-offload: ${signal}: closing (grace ${config.grace} ms)`);
    service.close(config.grace).then(
      () => {
        console.error('web-offload: closed');
        process.exitCode = code;
      },
      (error: unknown) => {
        console.error('web-offload: close failed', error);
        process.exit(code);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.stdout.write(`${JSON.stringify({ url: service.url })}\n`);
  console.error(
    `web-offload: listening on ${service.url} (cpu: ${config.cpu}, threads: ${config.threads})`,
  );
}
