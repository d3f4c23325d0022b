/**
 * A real Redis for tests: `redis-server` (Debian's package; `.ci/run` installs it) started on a
 * port of its own, in a temporary directory, with the append-only file on and fsynced at every
 * write, so that a restart finds every acknowledged write again. No mock: the scale-out tests
 * (issue 11) kill it, restart it and read its `INFO`.
 *
 * Redis cannot be told to pick a free port (`--port 0` turns TCP off), so the port is one the
 * kernel just handed out and released; a start that loses it to another process is retried.
 *
 * @module
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Ms a start may take before it counts as failed. */
const START_TIMEOUT_MS = 10_000;
const START_ATTEMPTS = 3;

export interface TestRedis {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Its working directory (the append-only files live here). */
  readonly dir: string;
  /** Stops it (SIGTERM: it finishes writing), then starts it again on the same port and data. */
  restart(): Promise<void>;
  /** Ends it at once (SIGKILL), as a crash would; `restart()` then starts it on the same data. */
  kill(): Promise<void>;
  /** Stops it and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** The path of `redis-server`, or undefined when the machine has none. */
export function redisServerBinary(): string | undefined {
  try {
    return (
      execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() ||
      undefined
    );
  } catch {
    return undefined;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Starts `redis-server` and resolves once it accepts connections; rejects with its output. */
async function launch(binary: string, port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
      '--daemonize',
      'no',
      '--loglevel',
      'notice',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`redis-server did not start:\n${output}`)),
      START_TIMEOUT_MS,
    );
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code} before it was ready:\n${output}`));
    });
  });
  try {
    await ready;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return child;
}

async function end(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

/**
 * Starts a Redis of its own. Throws when there is no `redis-server` (see
 * {@link redisServerBinary} to skip instead) or when it cannot start.
 */
export async function startTestRedis(): Promise<TestRedis> {
  const binary = redisServerBinary();
  if (binary === undefined)
    throw new Error('No redis-server on this machine: apt-get install -y redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'tandem-redis-'));
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 1; child === undefined; attempt++) {
    port = await freePort();
    try {
      child = await launch(binary, port, dir);
    } catch (error) {
      if (attempt === START_ATTEMPTS) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  let stopped = false;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    async restart() {
      await end(child, 'SIGTERM');
      child = await launch(binary, port, dir);
    },
    async kill() {
      await end(child, 'SIGKILL');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await end(child, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
