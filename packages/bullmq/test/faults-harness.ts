// What the fault tests (faults-*.test.ts) stand on: a real Redis of their own, real child
// processes whose stdout lines are events, gate directories watched with fs.watch, and a raw
// BullMQ QueueEvents that counts what Redis itself says happened to each job (so a result
// settled twice by the producer, or a job completed twice in Redis, cannot hide). Every wait
// here is on an event; the tests bound them with their own `timeout`.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type TestContext, test } from 'node:test';
import { type BullmqOptions, bullmq } from '@tandem/bullmq';
import { Engine } from '@tandem/core';
import type { TaskBackend, TaskModule, TasksOf } from '@tandem/workers';
import { QueueEvents } from 'bullmq';
import {
  redisServerBinary,
  startTestRedis,
  type TestRedis,
} from '../../../scripts/redis/test-redis.ts';
import type fixtureTasks from './fixtures/tasks.ts';
import {
  type SpawnWorkerOptions,
  spawnWorker,
  type WorkerProcess,
} from './fixtures/worker-process.ts';

/** Why Redis tests are skipped here, or false when they can run. */
export const noRedis: string | false =
  redisServerBinary() === undefined
    ? 'no redis-server binary (apt-get install -y redis-server)'
    : false;

/** Call once at the top of a test file: a loud skip without Redis, a failure under CI. */
export function requireRedis(): void {
  if (!noRedis) return;
  if (process.env.CI) {
    test('CI has redis-server (.ci/run installs it)', () => assert.fail(noRedis));
  }
  console.error(`\n*** SKIPPED: ${noRedis}. The fault tests need a real Redis. ***\n`);
}

const stacks = new WeakMap<TestContext, (() => unknown)[]>();

/**
 * Runs `fn` when the test ends, before what was deferred earlier (t.after runs hooks in the
 * order they were added: an engine must close before the Redis it talks to stops).
 */
export function defer(t: TestContext, fn: () => unknown): void {
  let stack = stacks.get(t);
  if (stack === undefined) {
    const fns: (() => unknown)[] = [];
    stack = fns;
    stacks.set(t, fns);
    t.after(async () => {
      for (let f = fns.pop(); f !== undefined; f = fns.pop()) await f();
    });
  }
  stack.push(fn);
}

/** A Redis of the test's own, stopped (and its directory removed) when the test ends. */
export async function redisFor(t: TestContext): Promise<TestRedis> {
  const redis = await startTestRedis();
  defer(t, () => redis.stop());
  return redis;
}

/** A queue name of the test's own: tests of one file share nothing in Redis. */
export function queueName(label: string): string {
  return `faults-${label}-${process.pid}`;
}

/**
 * The BullMQ queue and Tandem's keys for `queue` at version 1 (contract-11's layout:
 * `bullQueueName`, `tandemKeys`). Spelled out rather than imported from src/: loading src/
 * next to dist/ would register the package's error classes a second time, as other classes.
 */
export function bullName(queue: string): string {
  return `${queue}.v1.w1`;
}

/** The pub/sub channel and key prefix a producer cancels running jobs with. */
export function cancelKeys(queue: string): { channel: string; key: string } {
  const base = `bull:${bullName(queue)}:tandem`;
  return { channel: `${base}:cancel`, key: `${base}:cancel:` };
}

/** A directory through which the test and the `hold` task meet, removed when the test ends. */
export function gateFor(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-gate-'));
  defer(t, () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Resolves with the first file name in `dir` that `match` accepts, as soon as it exists. */
export function fileIn(dir: string, match: (name: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    // Watch first, then look: a file made between the two is seen by the look.
    const watcher = watch(dir);
    const look = () => {
      const found = readdirSync(dir).find(match);
      if (found === undefined) return;
      watcher.close();
      resolve(found);
    };
    watcher.on('change', look);
    watcher.on('error', (error) => {
      watcher.close();
      reject(error);
    });
    look();
  });
}

/** The names in `dir` that `match` accepts. */
export function filesIn(dir: string, match: (name: string) => boolean): string[] {
  return readdirSync(dir).filter(match);
}

/** A child process whose stdout lines are events. */
export interface Child {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly lines: readonly string[];
  /** Resolves with the first line (past or future) that matches. */
  line(pattern: RegExp): Promise<RegExpExecArray>;
  /** Resolves when it exits: `[code, signal]`. */
  readonly exit: Promise<[number | null, NodeJS.Signals | null]>;
  /** SIGKILL, then its exit. */
  kill9(): Promise<void>;
}

const children = new Set<ChildProcess>();
// A safety net under the tests' own t.after: no child outlives the test file.
process.on('exit', () => {
  for (const proc of children) if (proc.exitCode === null) proc.kill('SIGKILL');
});

/** Starts `node --import tsx <script> …args`, killed (-9) when the test ends. */
export function startChild(t: TestContext, script: string, args: readonly string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(proc);
  const exit = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  void exit.then(() => children.delete(proc));
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  createInterface({ input: proc.stdout! }).on('line', (text) => {
    lines.push(text);
    for (const waiter of [...waiters]) {
      const match = waiter.pattern.exec(text);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  });
  const kill9 = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGKILL');
    await exit;
  };
  defer(t, kill9);
  return {
    proc,
    pid: proc.pid!,
    lines,
    exit,
    kill9,
    line(pattern) {
      for (const text of lines) {
        const match = pattern.exec(text);
        if (match) return Promise.resolve(match);
      }
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        void exit.then(([code, signal]) =>
          reject(new Error(`exited (${signal ?? code}) before a line matched ${pattern}`)),
        );
      });
    },
  };
}

/** What Redis's own event stream says about each job of a queue, counted by job id. */
export interface JobEvents {
  readonly completed: Map<string, number>;
  readonly failed: Map<string, number>;
  readonly added: Map<string, number>;
  readonly stalled: Map<string, number>;
  /** Resolves once `predicate` holds (checked now and after every event). */
  until(predicate: () => boolean): Promise<void>;
}

/**
 * A raw BullMQ `QueueEvents` on `bullQueue`, apart from the producer's, reading the stream
 * from its start ('0'): every event Redis recorded is counted, across reconnects too.
 */
export async function jobEvents(
  t: TestContext,
  url: string,
  bullQueue: string,
): Promise<JobEvents> {
  const { port } = new URL(url);
  const events = new QueueEvents(bullQueue, {
    connection: { host: '127.0.0.1', port: Number(port), retryStrategy: () => 100 },
    lastEventId: '0',
  });
  defer(t, () => events.close());
  const counts = {
    completed: new Map<string, number>(),
    failed: new Map<string, number>(),
    added: new Map<string, number>(),
    stalled: new Map<string, number>(),
  };
  const waiters = new Set<{ predicate: () => boolean; resolve: () => void }>();
  const bump = (map: Map<string, number>, id: string) => {
    map.set(id, (map.get(id) ?? 0) + 1);
    for (const waiter of [...waiters]) {
      if (waiter.predicate()) {
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
  };
  events.on('completed', ({ jobId }) => bump(counts.completed, jobId));
  events.on('failed', ({ jobId }) => bump(counts.failed, jobId));
  events.on('added', ({ jobId }) => bump(counts.added, jobId));
  events.on('stalled', ({ jobId }) => bump(counts.stalled, jobId));
  // A reconnecting stream reports its errors; the test's assertions are what count.
  events.on('error', () => {});
  await events.waitUntilReady();
  return {
    ...counts,
    until(predicate) {
      if (predicate()) return Promise.resolve();
      return new Promise((resolve) => waiters.add({ predicate, resolve }));
    },
  };
}

/** Ids counted more than once. */
export function repeated(map: ReadonlyMap<string, number>): string[] {
  return [...map].filter(([, n]) => n > 1).map(([id]) => id);
}

/** The fault tests' lock settings: a dead worker's job is recovered within seconds. */
export const FAST_STALLS = { lockDuration: 2000, stalledInterval: 1000 } as const;

/**
 * Starts a `tandem-worker` process (fixtures/worker-process.ts) with FAST_STALLS unless told
 * otherwise, resolves once it is ready; killed (-9) when the test ends.
 */
export async function workerProcess(
  t: TestContext,
  url: string,
  queue: string,
  options: Omit<SpawnWorkerOptions, 'redisUrl' | 'queue'> = FAST_STALLS,
): Promise<WorkerProcess> {
  const worker = spawnWorker({ redisUrl: url, queue, ...options });
  children.add(worker.child);
  defer(t, () => worker.stop());
  await worker.ready;
  return worker;
}

/**
 * A producer engine over the bullmq backend, typed by fixtures/tasks.ts unless told otherwise,
 * closed (pending jobs dropped) when the test ends.
 */
export async function producerFor<M extends TaskModule = typeof fixtureTasks>(
  t: TestContext,
  url: string,
  queue: string,
  options: Partial<BullmqOptions> = {},
): Promise<Engine<M, TaskBackend<TasksOf<M>>>> {
  const engine = await Engine.start<M>({
    backend: bullmq<M>({ connection: url, queue, reconcileInterval: 200, ...options }),
  });
  defer(t, () => engine.close({ timeout: 0 }));
  return engine;
}
