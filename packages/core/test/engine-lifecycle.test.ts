// The Engine's lifecycle and boundary: what Engine.start, close, shutdown and service do with
// hostile arguments, and that whatever fails leaves nothing behind. Cases that could crash or
// hang the process (or leak threads into it) run in a child process under a timeout.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { Engine, Service } from '@tandem/core';
import type { Dictionary } from './fixtures/dictionary.ts';
import type held from './fixtures/held.ts';

const heldTasks = new URL('./fixtures/held.ts', import.meta.url);
const dictionary = new URL('./fixtures/dictionary.ts', import.meta.url);
const startChild = new URL('./fixtures/engine-start-child.ts', import.meta.url).pathname;

interface ChildOutcome {
  code: number | null;
  signal: string | null;
  /** `case → outcome` from the child's `<case>\t<outcome>` lines. */
  outcomes: Map<string, string>;
  done: boolean;
  stderr: string;
}

/** Runs engine-start-child.ts in `mode`; a child still alive after `timeout` ms is killed. */
async function runStartChild(
  mode: string,
  env: Record<string, string> = {},
  timeout = 60_000,
): Promise<ChildOutcome> {
  const child = spawn(process.execPath, ['--import', 'tsx', startChild, mode], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), timeout);
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  clearTimeout(killer);
  const lines = stdout.split('\n').filter(Boolean);
  const outcomes = new Map(
    lines.filter((line) => line.includes('\t')).map((line) => line.split('\t') as [string, string]),
  );
  return { code, signal, outcomes, done: lines.includes('done'), stderr };
}

/** A `hold` task's shared cells: the test opens the gate, the task counts its starts. */
function gate() {
  const cells = new Int32Array(new SharedArrayBuffer(8));
  return {
    cells,
    async started(count: number) {
      for (let seen = Atomics.load(cells, 1); seen < count; seen = Atomics.load(cells, 1)) {
        const waiting = Atomics.waitAsync(cells, 1, seen);
        if (waiting.async) await waiting.value;
        else await nextTurn();
      }
    },
    open() {
      Atomics.store(cells, 0, 1);
      Atomics.notify(cells, 0);
    },
  };
}

test('Engine.start refuses hostile options with a coded error and starts nothing', {
  timeout: 120_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-start-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'loads.log');
  const { code, signal, outcomes, done, stderr } = await runStartChild('hostile', {
    TANDEM_LOAD_LOG: log,
  });
  assert.equal(signal, null, `the child hung and was killed; stderr:\n${stderr}`);
  assert.equal(code, 0, stderr);
  assert.ok(done, stderr);
  const invalid = 'ERR_TANDEM_INVALID_ARGUMENT';
  const range = 'ERR_TANDEM_OUT_OF_RANGE';
  const expected: Record<string, string> = {
    'no argument': invalid,
    null: invalid,
    'a number': invalid,
    'a string': invalid,
    'a Proxy whose get throws': invalid,
    'a Proxy whose ownKeys throws': invalid,
    'a revoked Proxy': invalid,
    'tasks: 5': invalid,
    'resourceLimits: "x"': invalid,
    'resourceLimits: null': invalid,
    'resourceLimits: { maxOldGenerationSizeMb: -1 }': range,
    'resourceLimits whose getter throws': invalid,
    'execArgv: "x"': invalid,
    'execArgv: [1]': invalid,
    'execArgv as a Proxy whose get throws': invalid,
    'threads: 0': range,
    'threads: NaN': invalid,
    'threads: Infinity': range,
    'threads: 1e6': range,
    'threads: 1.5': invalid,
    'threads: "2"': invalid,
    'threads: a Symbol': invalid,
    'concurrentTasksPerWorker: 1e9': range,
    'maxQueue: -1': range,
    'maxQueue: 2 ** 40': range,
    'onFull: "drop"': invalid,
    'grace: -1': range,
    'startTimeout: NaN': invalid,
    'signal: "x"': invalid,
    'loopDelayResolution: 0': range,
    'loopDelayResolution: NaN': invalid,
    'loopDelayResolution: Infinity': range,
    'loopDelayResolution: 1.5': invalid,
    'loopDelayResolution: 1e12': range,
    'loopDelayResolution: "10"': invalid,
    'shutdownSignals: "SIGINT"': invalid,
    'shutdownSignals: null': invalid,
    'shutdownSignals: ["SIGKILL"]': invalid,
    'shutdownSignals: ["SIGINT", "SIGINT"]': invalid,
    'shutdownSignals: [a Symbol]': invalid,
    'shutdownGrace: -1': range,
    'shutdownGrace: NaN': invalid,
    'shutdownGrace: "x"': invalid,
    'an aborted signal': 'E_ABORTED_ON_PURPOSE',
  };
  assert.deepEqual(Object.fromEntries(outcomes), expected);
  // Every one failed before a worker loaded the task module: no pool was started, none leaked.
  assert.equal(existsSync(log) ? readFileSync(log, 'utf8') : '', '');
});

test('a start longer than startTimeout fails with ERR_TANDEM_START_TIMEOUT and leaves nothing running', {
  timeout: 60_000,
}, async () => {
  const { code, signal, outcomes, stderr } = await runStartChild('start-timeout', {}, 15_000);
  assert.equal(signal, null, `the child hung and was killed; stderr:\n${stderr}`);
  assert.equal(code, 0, stderr);
  assert.equal(outcomes.get('startTimeout'), 'ERR_TANDEM_START_TIMEOUT');
});

test('aborting the signal given to Engine.start rejects with its reason and leaves nothing running', {
  timeout: 60_000,
}, async () => {
  const { code, signal, outcomes, stderr } = await runStartChild('start-abort', {}, 15_000);
  assert.equal(signal, null, `the child hung and was killed; stderr:\n${stderr}`);
  assert.equal(code, 0, stderr);
  assert.equal(outcomes.get('signal'), 'E_ABORTED_ON_PURPOSE');
});

test('a task module with a task named `then` starts, and engine.run("then") works', {
  timeout: 60_000,
}, async () => {
  const { code, signal, outcomes, stderr } = await runStartChild('then', {}, 15_000);
  assert.equal(signal, null, `the child hung and was killed; stderr:\n${stderr}`);
  assert.equal(code, 0, stderr);
  assert.equal(outcomes.get('then'), '42');
});

test('a bad close() argument rejects that call only: the engine stays open, close() works after', async (t) => {
  const engine = await Engine.start<typeof held>({ tasks: heldTasks, threads: 1 });
  t.after(() => engine.close());
  const close = engine.close.bind(engine) as (options?: unknown) => Promise<void>;
  await assert.rejects(close({ timeout: -1 }), { code: 'ERR_TANDEM_OUT_OF_RANGE' });
  await assert.rejects(close({ timeout: 'x' }), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
  await assert.rejects(close({ timeout: Number.NaN }), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
  await assert.rejects(close(null), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
  await assert.rejects(close(5), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
  const trap = new Proxy(
    {},
    {
      ownKeys() {
        throw new Error('trap');
      },
    },
  );
  await assert.rejects(close(trap), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
  assert.equal(engine.signal.aborted, false);
  assert.equal(await engine.run('echo', 1), 1, 'still taking work');
  await engine.shutdown();
  await assert.rejects(engine.run('echo', 2), { code: 'ERR_TANDEM_POOL_CLOSED' });
});

test('close({ timeout: Infinity }) waits for in-flight work for ever', {
  timeout: 30_000,
}, async (t) => {
  const engine = await Engine.start<typeof held>({ tasks: heldTasks, threads: 1 });
  t.after(() => engine.close());
  const g = gate();
  const task = engine.run('hold', g.cells);
  await g.started(1);
  const closing = engine.close({ timeout: Number.POSITIVE_INFINITY });
  // Timers fire in due order: a close timer armed with Infinity (which Node turns into 1 ms)
  // fires before this one, and the task would be destroyed.
  await sleep(20);
  g.open();
  assert.equal(await task, 'released');
  await closing;
});

test('shutdownGrace: Infinity lets in-flight work finish, however long it takes', {
  timeout: 30_000,
}, async (t) => {
  const engine = await Engine.start<typeof held>({
    tasks: heldTasks,
    threads: 1,
    shutdownGrace: Number.POSITIVE_INFINITY,
  });
  t.after(() => engine.close());
  const g = gate();
  const task = engine.run('hold', g.cells);
  await g.started(1);
  const stopping = engine.shutdown();
  await sleep(20); // see the test above: a 1 ms grace timer would have fired by now
  g.open();
  assert.equal(await task, 'released');
  await stopping;
});

test('shutdown() twice, and close() then shutdown(), share one close', async (t) => {
  const engine = await Engine.start<typeof held>({ tasks: heldTasks, threads: 1 });
  t.after(() => engine.close());
  const closing = engine.close();
  const first = engine.shutdown();
  const second = engine.shutdown();
  assert.equal(first, closing);
  assert.equal(second, closing);
  assert.equal(
    engine.signal.aborted,
    true,
    'shutdown cancels the engine scopes even while closing',
  );
  await closing;
  await engine.shutdown();
  await engine.close();
  await assert.rejects(engine.run('echo', 1), { code: 'ERR_TANDEM_POOL_CLOSED' });
  await assert.rejects(engine.map('echo', [1]), { code: 'ERR_TANDEM_POOL_CLOSED' });
});

test('engine.service() after close() began rejects with ERR_TANDEM_POOL_CLOSED and starts nothing', async (t) => {
  const engine = await Engine.start<typeof held>({ tasks: heldTasks, threads: 1 });
  t.after(() => engine.close());
  const start = t.mock.method(Service, 'start');
  const closing = engine.close();
  await assert.rejects(engine.service(dictionary), { code: 'ERR_TANDEM_POOL_CLOSED' });
  await closing;
  await assert.rejects(engine.service(dictionary), { code: 'ERR_TANDEM_POOL_CLOSED' });
  assert.equal(start.mock.callCount(), 0);
  assert.equal(engine.stats().services, 0);
});

test('a service still starting when close() begins is abandoned by it, not orphaned', async (t) => {
  const engine = await Engine.start<typeof held>({ tasks: heldTasks, threads: 1 });
  t.after(() => engine.close());
  const start = t.mock.method(Service, 'start');
  const starting = engine.service<Dictionary>(dictionary);
  const closing = engine.close();
  await assert.rejects(starting, { code: 'ERR_TANDEM_POOL_CLOSED' });
  await closing;
  assert.equal(start.mock.callCount(), 1);
  // The start itself was abandoned (its worker terminated before it rejected).
  await assert.rejects(start.mock.calls[0]!.result as Promise<unknown>, {
    code: 'ERR_TANDEM_POOL_CLOSED',
  });
  assert.equal(engine.stats().services, 0);
});

test('a service closed by its user leaves the engine', async (t) => {
  const engine = await Engine.start<typeof held>({ tasks: heldTasks, threads: 1 });
  t.after(() => engine.close());
  const dict = await engine.service<Dictionary>(dictionary);
  const other = await engine.service<Dictionary>(dictionary);
  assert.equal(engine.stats().services, 2);
  await dict.close();
  assert.equal(engine.stats().services, 1);
  assert.equal(await other.api.has('tandem'), true);
});

test('a service whose worker crashed leaves the engine', async (t) => {
  const engine = await Engine.start<typeof held>({ tasks: heldTasks, threads: 1 });
  t.after(() => engine.close());
  const dict = await engine.service<Dictionary>(dictionary);
  await assert.rejects(dict.api.crash(), { code: 'ERR_TANDEM_WORKER_CRASHED' });
  // The crash is learnt from the worker's exit event, which also settles `closed`.
  await dict.closed;
  assert.equal(engine.stats().services, 0);
});

test('engine.service() refuses bad arguments with coded errors', async (t) => {
  const engine = await Engine.start<typeof held>({ tasks: heldTasks, threads: 1 });
  t.after(() => engine.close());
  const start = t.mock.method(Service, 'start');
  const service = engine.service.bind(engine) as (
    module: unknown,
    options?: unknown,
  ) => Promise<unknown>;
  await assert.rejects(service(dictionary, null), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
  await assert.rejects(service(dictionary, { signal: 'x' }), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
  await assert.rejects(service(dictionary, { startTimeout: -1 }), {
    code: 'ERR_TANDEM_OUT_OF_RANGE',
  });
  const reason = new Error('not now');
  await assert.rejects(
    service(dictionary, { signal: AbortSignal.abort(reason) }),
    (e) => e === reason,
  );
  assert.equal(start.mock.callCount(), 0);
  await assert.rejects(service(5), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
});

test('engine.run and engine.map refuse hostile arguments with coded rejections', async (t) => {
  const engine = await Engine.start<typeof held>({ tasks: heldTasks, threads: 1 });
  t.after(() => engine.close());
  const run = engine.run.bind(engine) as (
    name: unknown,
    input?: unknown,
    options?: unknown,
  ) => Promise<unknown>;
  const map = engine.map.bind(engine) as (
    name: unknown,
    inputs: unknown,
    options?: unknown,
  ) => Promise<unknown>;
  const trap = new Proxy(
    {},
    {
      get() {
        throw new Error('trap');
      },
      ownKeys() {
        throw new Error('trap');
      },
    },
  );
  const invalid = { code: 'ERR_TANDEM_INVALID_ARGUMENT' };
  await assert.rejects(run(Symbol('echo'), 1), invalid);
  await assert.rejects(run(5, 1), invalid);
  await assert.rejects(run('echo', 1, null), invalid);
  await assert.rejects(run('echo', 1, 5), invalid);
  await assert.rejects(run('echo', 1, trap), invalid);
  await assert.rejects(map(Symbol('echo'), [1]), invalid);
  await assert.rejects(map('echo', null), invalid);
  await assert.rejects(map('echo', 5), invalid);
  await assert.rejects(map('echo', { length: 2 }), invalid);
  await assert.rejects(map('echo', [1], null), invalid);
  await assert.rejects(map('echo', [1], trap), invalid);
  // A transparent Proxy is just an object: it works.
  assert.equal(await run('echo', 7, new Proxy({ timeout: 5_000 }, {})), 7);
  assert.deepEqual(await map('echo', new Set([1, 2])), [1, 2]);
  // Inside a scope the same holds, and nothing throws synchronously.
  await engine.scope(async () => {
    const outcome = run('echo', 1, trap);
    assert.ok(outcome instanceof Promise);
    await assert.rejects(outcome, invalid);
    await assert.rejects(map('echo', 5), invalid);
  });
  assert.deepEqual(engine.stats().pool.queued + engine.stats().pool.inWorkers, 0);
});

test('engine.scope refuses its arguments the wrong way round', async (t) => {
  const engine = await Engine.start<typeof held>({ tasks: heldTasks, threads: 1 });
  t.after(() => engine.close());
  const scope = engine.scope.bind(engine) as (a: unknown, b?: unknown) => Promise<unknown>;
  let ran = false;
  const body = () => {
    ran = true;
  };
  await assert.rejects(scope(body, { timeout: 10 }), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
  await assert.rejects(scope(null, body), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
  await assert.rejects(scope({ timeout: 10 }), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
  assert.equal(ran, false);
});
