/**
 * `node --import tsx src/main.ts [--port 3000] [--cpu tandem|piscina|inline] [--threads N]`:
 * starts the service on 127.0.0.1 and prints exactly one line to stdout once it listens,
 * `{"url":"http://127.0.0.1:<port>"}` (the load test reads it). SIGTERM (or SIGINT) stops it
 * gracefully within `--grace`: no new connections, in-flight requests and their CPU tasks
 * finish, background jobs too, then fastify and the engine close; exit code 143 (130). A
 * second signal exits at once. `--help` lists every flag.
 *
 * @module
 */
import { type Config, parseCommandLine, UsageError, usage } from './cli-options.ts';
import { serve } from './serve.ts';

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
if (config.help) console.log(usage());
else await serve(config);
