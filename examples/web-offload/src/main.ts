/**
 * `node --import tsx src/main.ts [--port 3000] [--cpu tandem|piscina|inline] [--threads N]`:
 * starts the service on 127.0.0.1 and prints exactly one line to stdout once it listens,
 * `{"url":"http://127.0.0.1:<port>"}` (the load test reads it). SIGTERM (or SIGINT) stops it
 * gracefully within `--grace`: no new connections, in-flight requests and their CPU tasks
 * finish, background jobs too, then fastify and the engine close; exit code 143 (130). A
 * second signal exits at once.
 *
 * @module
 */
import { startService } from './app.ts';
import { type Config, parseCommandLine, UsageError, usage } from './cli-options.ts';

function readConfig(): Config {
  try {
    return parseCommandLine(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\nSee --help for the flags.`);
    process.exit(2);
  }
}

const config = readConfig();
if (config.help) {
  console.log(usage());
} else {
  let service: Awaited<ReturnType<typeof startService>>;
  try {
    service = await startService({
      port: config.port,
      cpu: config.cpu,
      threads: config.threads,
      deadline: config.deadline,
      logger: config.log,
    });
  } catch (error) {
    console.error(`web-offload: could not start: ${(error as Error).message}`);
    process.exit(1);
  }
  const stop = (signal: NodeJS.Signals) => {
    const code = signal === 'SIGINT' ? 130 : 143;
    // A second signal: no more waiting.
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
