/**
 * The service under test, `examples/web-offload`, as a child process started by its command
 * line (`--port 0 --cpu <mode> --threads N`, which prints `{"url":…}` once listening), and
 * what the scenario reads from it from outside: its RSS and CPU time from `/proc`, its
 * Prometheus counters from `/metrics`.
 *
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { type Child, type ChildProcesses, exitOf, tail } from './web-offload-processes.ts';

/** How the service runs its CPU route: on the loop, through piscina directly, through Tandem. */
export type CpuMode = 'inline' | 'piscina' | 'tandem';

const mainScript = 'examples/web-offload/src/main.ts';
/** Start-up (tsx, fastify, the pool's threads) on a busy 2-core machine stays well under it. */
const startTimeoutMs = 30_000;
/** SIGTERM lets in-flight requests finish within the service's grace; past this, SIGKILL. */
const stopTimeoutMs = 10_000;
/** Linux's USER_HZ, the unit of utime and stime in /proc/<pid>/stat (100 on every usual kernel). */
const ticksPerSecond = 100;

export interface Service {
  mode: CpuMode;
  url: string;
  pid: number;
  /** SIGTERM, then SIGKILL past the bound; resolves with the exit code (143 is graceful). */
  stop(): Promise<number | NodeJS.Signals>;
}

function readUrl(child: Child, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    const fail = (why: string) => {
      clearTimeout(timer);
      lines.close();
      reject(new Error(`${mainScript} ${why}\n${stderr()}`));
    };
    const exited = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`exited (${code ?? signal}) before listening`);
    const timer = setTimeout(
      () => fail(`printed no URL within ${startTimeoutMs} ms`),
      startTimeoutMs,
    );
    child.once('exit', exited);
    lines.once('line', (line) => {
      clearTimeout(timer);
      child.removeListener('exit', exited);
      // Keep draining stdout, so a chatty service never blocks on a full pipe.
      child.stdout.resume();
      try {
        resolve((JSON.parse(line) as { url: string }).url);
      } catch {
        reject(new Error(`${mainScript} printed ${JSON.stringify(line)}, expected {"url":…}`));
      }
    });
  });
}

export async function startService(
  children: ChildProcesses,
  mode: CpuMode,
  threads: number,
): Promise<Service> {
  const child = children.node(mainScript, [
    '--port',
    '0',
    '--cpu',
    mode,
    '--threads',
    String(threads),
  ]);
  const stderr = tail(child.stderr);
  const url = await readUrl(child, stderr);
  return {
    mode,
    url,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      try {
        return await exitOf(child);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Resident memory of `pid` (every thread), MiB; undefined without /proc. */
export function rssMiB(pid: number): number | undefined {
  try {
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib) / 1_024;
  } catch {
    return undefined;
  }
}

/**
 * CPU time `pid` has used, ms, every thread included, threads that have already exited too
 * (a worker piscina terminated still counts); undefined without /proc. 10 ms resolution.
 */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    return ((Number(fields[11]) + Number(fields[12])) * 1_000) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/**
 * Whether a thread of `pid` is running or waiting for a core (state `R`): on a loaded machine
 * a busy service can go a whole window without a core, so low CPU alone does not mean idle.
 */
export function anyThreadRunnable(pid: number): boolean {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  return tasks.some((task) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      return stat[stat.lastIndexOf(')') + 2] === 'R';
    } catch {
      // The thread exited between the listing and the read: it is not running.
      return false;
    }
  });
}

/** Sum of the samples of `name` whose labels include every one of `labels`, in exposition text. */
export function metricValue(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const body = match[2] ?? '';
    const has = ([key, value]: [string, string]) =>
      body.includes(`{${key}="${value}"`) || body.includes(`,${key}="${value}"`);
    if (Object.entries(labels).every(has)) {
      sum += Number(match[3]);
    }
  }
  return sum;
}

/** The service's `/metrics` text. */
export async function scrape(service: Service): Promise<string> {
  const response = await fetch(`${service.url}/metrics`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  return response.text();
}
