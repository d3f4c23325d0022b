/**
 * A Redis of the demo's own: `redis-server` on a free port of 127.0.0.1, in a temporary
 * directory, nothing persisted (the demo's jobs live as long as the run). The approach of
 * `scripts/redis/test-redis.ts`, with one difference: the server runs in a process group of
 * its own, so a Ctrl-C in the terminal reaches only the demo, which then stops the producer,
 * then the workers, then Redis — in that order, so no one loses Redis mid-shutdown.
 *
 * @module
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const START_TIMEOUT_MS = 10_000;
const START_ATTEMPTS = 3;

/** There is no `redis-server` here: say how to get one, or how to do without. */
export class NoRedisServerError extends Error {
  readonly code = 'ERR_NO_REDIS_SERVER' as const;
  constructor() {
    super(
      'No redis-server on this machine. Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis), or pass --redis redis://host:6379 to use a Redis you already run.',
    );
  }
}

export interface LocalRedis {
  readonly url: string;
  readonly pid: number;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and removes its directory. Idempotent. */
  stop(): Promise<void>;
  /** Kills it at once (SIGKILL), synchronously: for a process about to exit. */
  killNow(): void;
}

export function redisServerBinary(): string | undefined {
  try {
    const path = execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
    return path.trim() || undefined;
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

async function launch(binary: string, port: number, dir: string): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  const child = spawn(binary, [...args, '--appendonly', 'no', '--daemonize', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`redis-server did not start:\n${output}`)),
      START_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
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
  // Its log is not ours to print; keep the pipes drained.
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}

export async function startLocalRedis(): Promise<LocalRedis> {
  const binary = redisServerBinary();
  if (binary === undefined) throw new NoRedisServerError();
  const dir = mkdtempSync(join(tmpdir(), 'tandem-task-queue-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;
  try {
    for (let attempt = 1; child === undefined; attempt++) {
      port = await freePort();
      try {
        child = await launch(binary, port, dir);
      } catch (error) {
        // Most likely the port was taken between freePort() and the bind: try another.
        if (attempt === START_ATTEMPTS) throw error;
      }
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const server = child;
  let stopping: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: server.pid!,
    killNow() {
      server.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
    stop() {
      stopping ??= (async () => {
        if (server.exitCode === null && server.signalCode === null) {
          const exited = once(server, 'exit');
          server.kill('SIGTERM');
          const force = setTimeout(() => server.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(force);
        }
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
