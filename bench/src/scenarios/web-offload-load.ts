/**
 * A load generator of the web-offload scenario: autocannon in a child process of its own
 * (autocannon is single-threaded: sharing a process, two generators would time each other's
 * work). Started once, while the first service starts, and told each run once it is ready,
 * so that the generators of a phase start together whatever their start-up took; every run
 * is bounded in time, and the process is killed if a run overstays.
 * See `web-offload-load-child.ts` for the child's side.
 *
 * @module
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type ChildProcesses, exitOf, tail } from './web-offload-processes.ts';

export interface LoadSpec {
  /** The service's base URL, `http://127.0.0.1:<port>`. */
  url: string;
  method: 'GET' | 'POST';
  path: string;
  /** For `POST /render`: the markdown document's size (the child builds it). */
  documentBytes?: number;
  connections: number;
  durationSeconds: number;
  /**
   * Rate mode: requests per second over all connections; autocannon then records latencies
   * with HdrHistogram's expected-interval correction (coordinated omission).
   */
  overallRate?: number;
  /** A request unanswered for this long counts as a timeout (and its connection is renewed). */
  timeoutSeconds: number;
  /** `Date.now()` at which to start, shared by the generators of a phase. */
  startAt: number;
}

export interface Latency {
  p50: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  /** `Date.now()` at the start and the end of the run. */
  startedAt: number;
  finishedAt: number;
  /** Responses by status code. */
  status: Record<string, number>;
  /** 503 responses that carried a `Retry-After` header. */
  retryAfter: number;
  /** autocannon's histogram, ms: corrected for coordinated omission in rate mode. */
  latency: Latency;
  /** Every response's time from its send, uncorrected, ms. */
  rawLatency: Latency;
  /** Connection errors, timeouts included. */
  errors: number;
  timeouts: number;
  /** The generator's own CPU time over the run (`process.cpuUsage`), ms. */
  cpuMs: number;
}

export interface Generator {
  /**
   * Runs `spec` to its end (one run at a time); the process is SIGKILLed if the run is still
   * going well past it, and every later run then fails.
   */
  run(spec: LoadSpec): Promise<LoadResult>;
  /** Ends the process once its run is over. */
  close(): Promise<void>;
}

const childScript = fileURLToPath(new URL('web-offload-load-child.ts', import.meta.url));
/** Start-up of a child (tsx, autocannon) on a busy machine, and its summary after a run. */
const slackMs = 30_000;

/** 2xx responses. */
export function ok(result: LoadResult): number {
  let sum = 0;
  for (const [code, count] of Object.entries(result.status)) if (code.startsWith('2')) sum += count;
  return sum;
}

/** Starts a generator's process; resolves once it is ready for its spec. */
export async function startGenerator(children: ChildProcesses): Promise<Generator> {
  const child = children.node(childScript, []);
  const stderr = tail(child.stderr);
  const lines = createInterface({ input: child.stdout });
  const timer = setTimeout(() => child.kill('SIGKILL'), slackMs);
  const [ready] = (await Promise.race([
    once(lines, 'line'),
    exitOf(child).then((exit) => [`exited with ${exit}`]),
  ])) as string[];
  clearTimeout(timer);
  if (ready !== 'ready') throw new Error(`load generator: ${ready}\n${stderr()}`);
  return {
    async run(spec) {
      const result = once(lines, 'line') as Promise<string[]>;
      // The result line can only come after the spec: no race with the listener above.
      child.stdin.write(`${JSON.stringify(spec)}\n`);
      const bound =
        Math.max(0, spec.startAt - Date.now()) +
        (spec.durationSeconds + spec.timeoutSeconds) * 1_000 +
        slackMs;
      const killer = setTimeout(() => child.kill('SIGKILL'), bound);
      try {
        const exit = exitOf(child);
        const line = await Promise.race([
          result.then(([text]) => text),
          exit.then(() => undefined),
        ]);
        if (line === undefined)
          throw new Error(`load generator exited with ${await exit}\n${stderr()}`);
        return JSON.parse(line) as LoadResult;
      } finally {
        clearTimeout(killer);
      }
    },
    async close() {
      child.stdin.end();
      await exitOf(child);
    },
  };
}
