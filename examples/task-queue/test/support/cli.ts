/**
 * The demo as child processes, as `pnpm start` runs it: output collected, lines offered to a
 * watcher (which may signal the process), exit awaited, killed if the test ends first. Also
 * what every test needs to know about Redis and the processes the demo starts.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';
import { redisServerBinary } from '../../src/local-redis.ts';

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Started {
  readonly child: ChildProcess;
  readonly exited: Promise<CliResult>;
  /** Resolves with the first line (stdout or stderr) that matches. */
  line(pattern: RegExp): Promise<RegExpMatchArray>;
}

const cwd = new URL('../..', import.meta.url).pathname;

/** No redis-server: the tests that need one skip loudly, and fail under CI. */
export const noRedis = redisServerBinary() === undefined ? 'no redis-server binary' : false;
if (noRedis && process.env.CI) throw new Error('CI must have redis-server (.ci/run installs it)');
if (noRedis) {
  console.error(
    '\n*** SKIPPED: no redis-server binary here (apt-get install -y redis-server). ***\n',
  );
}

/** Starts `src/main.ts args`. */
export function startCli(
  t: TestContext,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  const watchers = new Set<{ pattern: RegExp; resolve(m: RegExpMatchArray): void }>();
  const offer = (line: string) => {
    for (const watcher of watchers) {
      const match = line.match(watcher.pattern);
      if (match) {
        watchers.delete(watcher);
        watcher.resolve(match);
      }
    }
  };
  createInterface({ input: child.stdout }).on('line', (line) => {
    stdout += `${line}\n`;
    offer(line);
  });
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderr += `${line}\n`;
    offer(line);
  });
  const exited = once(child, 'close').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    stdout,
    stderr,
  }));
  return {
    child,
    exited,
    line(pattern) {
      const seen = `${stdout}${stderr}`.split('\n').find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen.match(pattern)!);
      return new Promise((resolve, reject) => {
        watchers.add({ pattern, resolve });
        void exited.then((r) =>
          reject(
            new Error(
              `exited (${r.signal ?? r.code}) before a line matched ${pattern}:\n${r.stdout}${r.stderr}`,
            ),
          ),
        );
      });
    },
  };
}

/** The pids the demo says it started: redis-server's and each worker's. */
export function startedPids(stderr: string): number[] {
  return [...stderr.matchAll(/^(?:redis-server|worker \d+) pid=(\d+)/gm)].map((m) => Number(m[1]));
}

/** Whether a process with this pid exists (a zombie counts: its parent has not reaped it). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, 'ESRCH');
    return false;
  }
}

/** π(n): the primes below n, by a sieve (the reference the demo's results are checked against). */
export function primesBelow(n: number): number {
  const composite = new Uint8Array(n);
  let count = 0;
  for (let i = 2; i < n; i++) {
    if (composite[i]) continue;
    count++;
    for (let j = i * i; j < n; j += i) composite[j] = 1;
  }
  return count;
}

/** `1234567` as the demo prints it: `1,234,567`. */
export const grouped = (n: number) => n.toLocaleString('en-US');
