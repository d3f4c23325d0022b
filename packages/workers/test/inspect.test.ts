import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { type TasksOf, WorkerPool } from '@tandem/workers';
import { inspectValue } from '../src/transfer.ts';
import type basic from './fixtures/basic.ts';
import { hostileInputs, release } from './fixtures/hostile-inputs.ts';
import type hostileResults from './fixtures/hostile-results.ts';
import { fixture } from './gate.ts';
import { isolated } from './isolated.ts';

type Basic = TasksOf<typeof basic>;
type HostileResults = TasksOf<typeof hostileResults>;

// inspectValue is the walk that names what structured clone would refuse, before anything is
// sent (the pool's inputs, a worker's results). It must find what the clone refuses, say
// where, and never throw itself.

for (const [name, { make, path }] of Object.entries(hostileInputs)) {
  test(`inspectValue finds ${name} and names its path (12)`, () => {
    const value = make();
    const { problem } = inspectValue({ v: value }, false);
    release(value);
    assert.equal(problem?.path, `input${path}`);
    assert.equal(typeof problem?.kind, 'string');
  });
}

test('inspectValue names the kind of what it refuses', () => {
  const kind = (value: unknown) => inspectValue({ v: value }, false).problem?.kind;
  assert.equal(kind(new Proxy({}, {})), 'Proxy');
  assert.equal(kind(hostileInputs.revokedProxy!.make()), 'Proxy');
  assert.equal(kind((function* () {})()), 'generator object');
  assert.equal(kind(hostileInputs.throwingGetter!.make()), 'getter that throws');
  const { port1 } = new MessageChannel();
  assert.equal(kind(port1), 'MessagePort');
  port1.close();
  assert.equal(kind(new ReadableStream()), 'ReadableStream');
  assert.equal(kind(Object(Symbol('boxed'))), 'Symbol object');
  assert.equal(kind(new FinalizationRegistry(() => {})), 'FinalizationRegistry');
});

test('inspectValue finds problems inside Maps, Sets, arrays and errors, with their path', () => {
  const at = (value: unknown) => inspectValue(value, false).problem?.path;
  assert.equal(at(new Map([['k', new Proxy({}, {})]])), 'input.get("k")');
  assert.equal(at(new Set([1, () => 1])), 'input.values()');
  const array = [1, 2];
  Object.defineProperty(array, 1, {
    get() {
      throw new Error('index getter');
    },
    enumerable: true,
  });
  assert.equal(at(array), 'input[1]');
  assert.equal(at({ 'not an identifier': [() => 1] }), 'input["not an identifier"][0]');
  assert.equal(at({ e: new Error('x', { cause: () => 1 }) }), 'input.e.cause');
});

test('a detached buffer is refused (structured clone cannot copy it)', () => {
  const buffer = new ArrayBuffer(8);
  const view = new Uint8Array(buffer);
  structuredClone(buffer, { transfer: [buffer] });
  assert.deepEqual(inspectValue({ buffer }, true).problem, {
    path: 'input.buffer',
    kind: 'detached ArrayBuffer',
  });
  assert.equal(inspectValue([view], true).problem?.path, 'input[0]');
});

test('inspectValue never calls an overridden iterator and never throws', () => {
  const map = new Map([[1, 2]]);
  Object.defineProperty(map, Symbol.iterator, {
    value() {
      throw new Error('overridden iterator');
    },
  });
  assert.equal(inspectValue(map, false).problem, undefined);
  let deep: unknown = 1;
  for (let i = 0; i < 200_000; i++) deep = [deep];
  assert.doesNotThrow(() => inspectValue(deep, false));
});

test('clean values pass: cycles, class instances of data, host objects structured clone copies', () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  class Point {
    constructor(
      readonly x: number,
      readonly y: number,
    ) {}
  }
  const values = [
    cyclic,
    new Point(1, 2),
    new Blob(['x']),
    new URL('http://example.com'),
    Object.create(null),
    new Map([[{ k: 1 }, new Set([new Date(), /re/, 1n])]]),
    new Error('plain', { cause: new TypeError('inner') }),
    Object(1),
  ];
  for (const value of values) assert.equal(inspectValue(value, false).problem, undefined);
});

test('buffers are still collected for transfer, inside class instances too', () => {
  const a = new ArrayBuffer(8);
  const b = new Uint8Array(16);
  class Holder {
    readonly bytes = b;
  }
  const { transferList, problem } = inspectValue({ a, holder: new Holder(), again: a }, true);
  assert.equal(problem, undefined);
  assert.deepEqual(transferList, [a, b.buffer]);
});

// Large inputs: the walk remembers objects only past a depth or an amount of work, reads
// arrays of numbers in a loop of their own and plain objects with for…in. None of that may
// change what it finds or the path it names.
describe('large inputs: what is found and its path do not change', () => {
  const table = (rows: number) =>
    Array.from({ length: rows }, (_, i) => ({
      id: i,
      name: `row ${i}`,
      tags: ['a', 'b'] as unknown[],
    }));

  test('a function deep in a 200k-row table is named by its exact path', () => {
    const rows = table(200_000);
    rows[150_000]!.tags.push(() => 1);
    assert.deepEqual(inspectValue({ rows }, false).problem, {
      path: 'input.rows[150000].tags[2]',
      kind: 'function',
    });
    assert.equal(inspectValue(table(200_000), true).problem, undefined);
  });

  test('a getter that throws at index 150000 of an array', () => {
    for (const array of [
      table(200_000) as unknown[],
      Array.from({ length: 200_000 }, (_, i) => i),
    ]) {
      Object.defineProperty(array, 150_000, {
        get() {
          throw new Error('index getter');
        },
        enumerable: true,
      });
      assert.deepEqual(inspectValue(array, false).problem, {
        path: 'input[150000]',
        kind: 'getter that throws',
      });
    }
  });

  test('arrays of numbers: what follows the numbers is still seen', () => {
    const numbers: unknown[] = Array.from({ length: 100_000 }, (_, i) => i * 1.5);
    assert.equal(inspectValue(numbers, false).problem, undefined);
    numbers.push({ ok: 1 }, 2, { f: () => 1 });
    assert.equal(inspectValue(numbers, false).problem?.path, 'input[100002].f');
    assert.equal(inspectValue([1, 2, Symbol('late')], false).problem?.path, 'input[2]');
    assert.equal(inspectValue([Symbol('first'), 1, 2], false).problem?.path, 'input[0]');
  });

  test('holey arrays: holes pass, a problem after them is found', () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    const holey: unknown[] = [1, , 3];
    assert.equal(inspectValue(holey, false).problem, undefined);
    assert.equal(inspectValue(new Array(100_000), false).problem, undefined);
    holey[100_000] = Symbol('after the holes');
    assert.deepEqual(inspectValue({ holey }, false).problem, {
      path: 'input.holey[100000]',
      kind: 'symbol',
    });
  });

  test('a path found through a cycle does not go round it', () => {
    const node: Record<string, unknown> = { a: 1 };
    node.self = node;
    node.list = [node, [node]];
    node.fn = () => 1;
    assert.equal(inspectValue(node, false).problem?.path, 'input.fn');
    const array: unknown[] = [1, 2];
    array.push(array, { back: array }, () => 1);
    assert.equal(inspectValue(array, false).problem?.path, 'input[4]');
  });

  test('a buffer shared by every row of a table is listed for transfer once', () => {
    const bytes = new Float64Array(8);
    const raw = new ArrayBuffer(8);
    const rows = Array.from({ length: 50_000 }, (_, i) => ({ i, bytes, raw }));
    assert.deepEqual(inspectValue(rows, true).transferList, [bytes.buffer, raw]);
  });

  test('with an enumerable property on Object.prototype, only own keys are read', (t) => {
    Object.defineProperty(Object.prototype, 'polluted', {
      get() {
        throw new Error('inherited getter');
      },
      enumerable: true,
      configurable: true,
    });
    t.after(() => {
      delete (Object.prototype as { polluted?: unknown }).polluted;
    });
    assert.equal(inspectValue({ rows: table(10) }, false).problem, undefined);
    assert.equal(inspectValue({ a: { f: () => 1 } }, false).problem?.path, 'input.a.f');
  });

  test('shapes a naive walk would take hours over end quickly, with exact paths (child process)', {
    timeout: 60_000,
  }, async () => {
    const child = await isolated(new URL('./fixtures/inspect-shapes.ts', import.meta.url));
    assert.equal(child.status, 0, `the child exits cleanly (stderr: ${child.stderr})`);
    assert.deepEqual(child.result, {
      sparseClean: null,
      sparseFunction: { path: 'input[4000000000]', kind: 'function' },
      sparseGetter: { path: 'input[3000000000]', kind: 'getter that throws' },
      dagClean: null,
      dagFunction: { path: `input${'.l'.repeat(64)}.bottom`, kind: 'function' },
      cycleClean: null,
      cycleFunction: { path: 'input[1000001]', kind: 'function' },
    });
  });
});

// Through the pool: before inspectValue found these, the send failed inside Piscina, which
// counted as a crash (or gave a raw error). The tests share one pool: none may crash it.
describe('hostile inputs through the pool', () => {
  let pool: WorkerPool<Basic>;
  before(async () => {
    pool = await WorkerPool.start<Basic>({ tasks: fixture('basic'), threads: 1 });
  });
  after(() => pool.destroy());

  for (const [name, { make, path }] of Object.entries(hostileInputs)) {
    test(`WorkerPool.run refuses a ${name} input with ERR_TANDEM_UNCLONEABLE_INPUT and its path (12)`, {
      timeout: 20_000,
    }, async () => {
      const value = make();
      await assert.rejects(pool.run('echo', { v: value }), {
        code: 'ERR_TANDEM_UNCLONEABLE_INPUT',
        path: `input${path}`,
      });
      release(value);
      assert.equal(pool.stats().crashed, 0);
      assert.equal(pool.stats().workersReplaced, 0);
      assert.equal(await pool.run('add', { a: 1, b: 2 }), 3, 'the pool still answers');
    });
  }
});

// A large input is checked before it is queued only up to a budget (a few thousand objects):
// past it postMessage is the check. What it refuses must still fail that task alone, with the
// same code and exact path, and leave the pool as it was: coalesced neighbours get their answers.
describe('hostile values past the check budget of a large input', () => {
  let pool: WorkerPool<Basic>;
  before(async () => {
    pool = await WorkerPool.start<Basic>({ tasks: fixture('basic'), threads: 1 });
  });
  after(() => pool.destroy());
  // 20k rows: some 400k units of work, six times the budget; the value comes after them.
  const rows = Array.from({ length: 20_000 }, (_, i) => ({ id: i, name: `row ${i}`, tags: ['a'] }));

  for (const [name, { make, path }] of Object.entries(hostileInputs)) {
    test(`a ${name} after 20k rows fails its task alone with its path, once sent`, {
      timeout: 20_000,
    }, async () => {
      const value = make();
      const before = pool.stats();
      // Issued in one tick, so they travel together: the refused message is split.
      const calls = [
        pool.run('add', { a: 1, b: 2 }),
        pool.run('echo', { rows, v: value }),
        pool.run('add', { a: 3, b: 4 }),
      ];
      const [first, refused, last] = (await Promise.allSettled(calls)) as [
        PromiseSettledResult<unknown>,
        PromiseSettledResult<unknown>,
        PromiseSettledResult<unknown>,
      ];
      release(value);
      assert.deepEqual(first, { status: 'fulfilled', value: 3 });
      assert.deepEqual(last, { status: 'fulfilled', value: 7 });
      assert.equal(refused.status, 'rejected');
      const error = (refused as PromiseRejectedResult).reason;
      assert.equal(error.code, 'ERR_TANDEM_UNCLONEABLE_INPUT');
      assert.equal(error.task, 'echo');
      assert.equal(error.path, `input${path}`);
      const stats = pool.stats();
      assert.equal(stats.crashed, before.crashed);
      assert.equal(stats.workersReplaced, 0);
      assert.equal(stats.failed, before.failed + 1);
      assert.equal(stats.running + stats.queued, 0, 'nothing is left in the books');
    });
  }

  test('a clean large input is sent whole: the worker sees every row', async () => {
    const echoed = (await pool.run('echo', { rows })) as { rows: typeof rows };
    assert.deepEqual(echoed.rows, rows);
  });
});

// The same values as results: the worker finds them before sending, so the task rejects once
// with ERR_TANDEM_UNCLONEABLE_RESULT instead of failing the send (which counted as a crash and
// re-ran the task).
describe('hostile results through the pool', () => {
  let pool: WorkerPool<HostileResults>;
  before(async () => {
    pool = await WorkerPool.start<HostileResults>({
      tasks: fixture('hostile-results'),
      threads: 1,
      // A fixed depth packs tasks by count: the last two calls below always share a message.
      concurrentTasksPerWorker: 4,
    });
  });
  after(() => pool.destroy());

  // Past the worker's check budget postMessage refuses the result; the path is found then.
  // Of three calls in one tick, the first goes alone to the idle worker and the other two, of
  // two names, travel in one message: only the refused one fails, under its own name.
  for (const [name, { path }] of Object.entries(hostileInputs)) {
    test(`a task returning a ${name} after 20k rows rejects once, coded, with its path; its neighbours answer`, {
      timeout: 20_000,
    }, async () => {
      const runs = new Int32Array(new SharedArrayBuffer(4));
      const messages = pool.stats().messages;
      const [before, refused, after] = (await Promise.allSettled([
        pool.run('rowCount', undefined),
        pool.run('returnsAfterRows', { runs, name }),
        pool.run('rowCount', undefined),
      ])) as [
        PromiseSettledResult<unknown>,
        PromiseSettledResult<unknown>,
        PromiseSettledResult<unknown>,
      ];
      assert.deepEqual(before, { status: 'fulfilled', value: 20_000 });
      assert.deepEqual(after, { status: 'fulfilled', value: 20_000 });
      assert.equal(refused.status, 'rejected');
      const error = (refused as PromiseRejectedResult).reason;
      assert.equal(error.code, 'ERR_TANDEM_UNCLONEABLE_RESULT');
      assert.equal(error.task, 'returnsAfterRows');
      assert.equal(error.path, `result${path}`);
      assert.equal(Atomics.load(runs, 0), 1, 'the task ran once');
      assert.equal(pool.stats().crashed, 0);
      assert.equal(pool.stats().messages - messages, 2, 'the last two travelled together');
    });
  }

  for (const [name, { path }] of Object.entries(hostileInputs)) {
    test(`a task returning a ${name} rejects once with ERR_TANDEM_UNCLONEABLE_RESULT and its path (11)`, {
      timeout: 20_000,
    }, async () => {
      const runs = new Int32Array(new SharedArrayBuffer(4));
      await assert.rejects(pool.run('returns', { runs, name }), {
        code: 'ERR_TANDEM_UNCLONEABLE_RESULT',
        path: `result${path}`,
      });
      assert.equal(Atomics.load(runs, 0), 1, 'the task ran once');
      assert.equal(pool.stats().crashed, 0);
    });
  }
});
