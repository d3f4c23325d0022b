import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type TasksOf, WorkerPool } from '@tandem/workers';
import { mapBatched } from '@tandem/workers/internal';
import type basic from './fixtures/basic.ts';
import type transferProbe from './fixtures/transfer-probe.ts';
import { fixture } from './gate.ts';

type Basic = TasksOf<typeof basic>;
type Probe = TasksOf<typeof transferProbe>;

test('transfer: true moves the input buffer: the caller loses it, the worker sees the data intact', async (t) => {
  const pool = await WorkerPool.start<Basic>({ tasks: fixture('basic'), threads: 1 });
  t.after(() => pool.destroy());
  const bytes = new Uint8Array(1 << 20).fill(3);
  const result = await pool.run('sum', bytes, { transfer: true });
  assert.deepEqual(result, { total: 3 << 20, length: 1 << 20 });
  assert.equal(bytes.byteLength, 0, 'the caller buffer is detached');
});

test('nested buffers are found and moved', async (t) => {
  const pool = await WorkerPool.start<Basic>({ tasks: fixture('basic'), threads: 1 });
  t.after(() => pool.destroy());
  const a = new Float64Array(16).fill(1.5);
  const b = new ArrayBuffer(64);
  const echoed = (await pool.run(
    'echo',
    { list: [a], map: new Map([['b', b]]) },
    { transfer: true },
  )) as {
    list: Float64Array[];
  };
  assert.equal(a.byteLength, 0);
  assert.equal(b.byteLength, 0);
  assert.deepEqual([...echoed.list[0]!], new Array(16).fill(1.5));
});

test('without transfer the caller keeps its buffer (it is copied)', async (t) => {
  const pool = await WorkerPool.start<Basic>({ tasks: fixture('basic'), threads: 1 });
  t.after(() => pool.destroy());
  const bytes = new Uint8Array(1024).fill(1);
  await pool.run('sum', bytes);
  assert.equal(bytes.byteLength, 1024);
});

test('a pooled Buffer (a slice of a shared pool) is copied, not moved, and nothing crashes', async (t) => {
  const pool = await WorkerPool.start<Basic>({ tasks: fixture('basic'), threads: 1 });
  t.after(() => pool.destroy());
  const small = Buffer.from('abc');
  const neighbour = Buffer.from('xyz');
  assert.notEqual(small.byteLength, small.buffer.byteLength, 'the fixture must be a pooled slice');
  const result = await pool.run('sum', small, { transfer: true });
  assert.deepEqual(result, { total: 97 + 98 + 99, length: 3 });
  assert.equal(small.toString(), 'abc');
  assert.equal(neighbour.toString(), 'xyz');
});

test('a task returns buffers by transfer with moveResult(): the worker gives its buffer up', async (t) => {
  const pool = await WorkerPool.start<Probe>({ tasks: fixture('transfer-probe'), threads: 1 });
  t.after(() => pool.destroy());
  const { bytes } = await pool.run('moved', 4096);
  assert.equal(bytes.byteLength, 4096);
  assert.equal(bytes[4095], 7);
  assert.equal(await pool.run('lastByteLength', undefined), 0, "the worker's buffer is detached");
});

test('without moveResult() the result is copied: the worker keeps its buffer', async (t) => {
  const pool = await WorkerPool.start<Probe>({ tasks: fixture('transfer-probe'), threads: 1 });
  t.after(() => pool.destroy());
  const { bytes } = await pool.run('copied', 4096);
  assert.equal(bytes.byteLength, 4096);
  assert.equal(await pool.run('lastByteLength', undefined), 4096);
});

test('map: items returned with moveResult() arrive whole (each buffer moved once, even when shared)', async (t) => {
  const pool = await WorkerPool.start<Basic>({ tasks: fixture('basic'), threads: 1 });
  t.after(() => pool.destroy());
  const results = await mapBatched(pool, 'fill', [3, 5, 0], { batch: 3 });
  assert.deepEqual(
    results.map((r) => [...(r as { bytes: Uint8Array }).bytes]),
    [[7, 7, 7], [7, 7, 7, 7, 7], []],
  );
  const shared = await mapBatched(pool, 'fillShared', [2, 2], { batch: 2 });
  assert.deepEqual(
    shared.map((r) => [...(r as { bytes: Uint8Array }).bytes]),
    [
      [9, 9],
      [9, 9],
    ],
  );
});
