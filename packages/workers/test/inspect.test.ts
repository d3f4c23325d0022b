import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { type TasksOf, WorkerPool } from '@tandem/workers';
import { inspectValue } from '../src/transfer.ts';
import type basic from './fixtures/basic.ts';
import { hostileInputs, release } from './fixtures/hostile-inputs.ts';
import type hostileResults from './fixtures/hostile-results.ts';
import { fixture } from './gate.ts';

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

// The same values as results: the worker finds them before sending, so the task rejects once
// with ERR_TANDEM_UNCLONEABLE_RESULT instead of failing the send (which counted as a crash and
// re-ran the task).
describe('hostile results through the pool', () => {
  let pool: WorkerPool<HostileResults>;
  before(async () => {
    pool = await WorkerPool.start<HostileResults>({
      tasks: fixture('hostile-results'),
      threads: 1,
    });
  });
  after(() => pool.destroy());

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
