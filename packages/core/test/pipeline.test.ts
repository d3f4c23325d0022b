import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { Engine, limiter, type PipelineProgress } from '@tandem/core';
import { deferred } from '@tandem/workers/internal';
import type tasks from './fixtures/pipeline-tasks.js';

const tasksUrl = new URL('./fixtures/pipeline-tasks.ts', import.meta.url);

async function start(t: import('node:test').TestContext, threads = 1) {
  const engine = await Engine.start<typeof tasks>({ tasks: tasksUrl, threads });
  t.after(() => engine.close());
  return engine;
}

async function tempDir(t: import('node:test').TestContext) {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-pipeline-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function* range(n: number) {
  for (let i = 0; i < n; i++) yield i;
}

test('stages on the loop and in the pool compose, typed stage to stage', async (t) => {
  const engine = await start(t, 2);
  const out = await engine
    .pipeline(range(1000))
    .map((n) => n + 1)
    .filter((n) => n % 2 === 0)
    .cpu('square')
    .flatMap((sq) => [sq, -sq])
    .filter((n) => n > 0)
    .batch(10)
    .map((group) => group.length)
    .collect();
  assert.equal(
    out.reduce((a, b) => a + b, 0),
    500,
  );
  // Type-checked, never run: 'length' takes strings, and these are numbers.
  // @ts-expect-error
  const _wrongInput = () => engine.pipeline([1]).cpu('length');
});

test('ordered: true keeps input order though io results arrive in reverse', async (t) => {
  const engine = await start(t);
  const gates = [...range(8)].map(() => deferred<void>());
  let started = 0;
  const run = engine
    .pipeline([...range(8)], { ordered: true })
    .io(
      async (n) => {
        started += 1;
        await gates[n]?.promise;
        return n;
      },
      { concurrency: 8 },
    )
    .collect();
  while (started < 8) await turn();
  for (const gate of [...gates].reverse()) {
    gate.resolve();
    await turn();
  }
  assert.deepEqual(await run, [0, 1, 2, 3, 4, 5, 6, 7]);
});

test('a slow sink slows the source: the read-ahead stays within the buffers', async (t) => {
  const engine = await start(t);
  let read = 0;
  function* counted() {
    for (let i = 0; ; i++) {
      read += 1;
      yield i;
    }
  }
  const buffer = 16;
  const concurrency = 4;
  let taken = 0;
  for await (const _ of engine
    .pipeline(counted(), { buffer })
    .io(async (n) => n, { concurrency })
    .map((n) => n)) {
    taken += 1;
    // Let every stage run as far ahead as it may before taking the next.
    for (let i = 0; i < 20; i++) await turn();
    // The source chunk (buffer), the io stage's waiting and finished items, the stream's queue.
    assert.ok(
      read - taken <= buffer + concurrency + buffer + buffer,
      `read ${read}, taken ${taken}`,
    );
    if (taken === 50) break;
  }
  assert.equal(taken, 50);
});

test('a crash in a cpu batch fails that item alone; the others are run again', async (t) => {
  const engine = await start(t);
  const report = await engine
    .pipeline([1, 2, 13, 4, 5], { onError: 'skip' })
    .cpu('squareOrCrash', { batch: 5 })
    .run();
  assert.equal(report.done, 4);
  assert.equal(report.skipped, 1);
  assert.equal(report.stages[0]?.failed, 1);
});

test("onError 'fail': the run rejects with the item, the stage and the cause; no file is left", async (t) => {
  const engine = await start(t);
  const dir = await tempDir(t);
  const error = await engine
    .pipeline(range(20))
    .cpu('squareUnlessSeven', { name: 'squares' })
    .toFile(join(dir, 'out.ndjson'))
    .then(
      () => assert.fail('resolved'),
      (e: unknown) => e as { code: string; stage: string; item: unknown; cause: { code: string } },
    );
  assert.equal(error.code, 'ERR_TANDEM_PIPELINE_ITEM_FAILED');
  assert.equal(error.stage, 'squares');
  assert.equal((error.item as number) % 7, 0);
  assert.equal(error.cause.code, 'E_SEVEN');
  assert.deepEqual(await readdir(dir), []);
});

test('dead letters keep the input, the stage, every attempt and the original error', async (t) => {
  const engine = await start(t);
  const dir = await tempDir(t);
  const report = await engine
    .pipeline(['a', 'b', 'c'], { onError: { deadLetter: join(dir, 'dead.ndjson') } })
    .io(
      async (s) => {
        if (s === 'b')
          throw Object.assign(new Error('unavailable'), { status: 503, retryAfter: 1 });
        return s;
      },
      { name: 'fetch', retry: { attempts: 3 } },
    )
    .toFile(join(dir, 'out.ndjson'));
  assert.equal(report.deadLettered, 1);
  assert.equal(report.retried, 2);
  const [line] = (await readFile(join(dir, 'dead.ndjson'), 'utf8')).trim().split('\n');
  const dead = JSON.parse(line as string);
  assert.equal(dead.item, 'b');
  assert.equal(dead.stage, 'fetch');
  assert.deepEqual(
    dead.attempts.map((a: { attempt: number }) => a.attempt),
    [1, 2, 3],
  );
  assert.equal(dead.error.status, 503);
  assert.equal(dead.error.message, 'unavailable');
});

test('a decider chooses per error: a known error is dead-lettered, anything else fails the run', async (t) => {
  const engine = await start(t);
  const dir = await tempDir(t);
  const decide = (error: unknown) =>
    ((error as { code?: string }).code === 'E_SEVEN' ? 'deadLetter' : 'fail') as
      | 'deadLetter'
      | 'fail';
  const report = await engine
    .pipeline(range(15), { onError: { deadLetter: join(dir, 'dead.ndjson'), decide } })
    .cpu('squareUnlessSeven')
    .toFile(join(dir, 'out.ndjson'));
  assert.equal(report.deadLettered, 3);
  await assert.rejects(
    engine
      .pipeline(range(15), { onError: { deadLetter: join(dir, 'dead2.ndjson'), decide } })
      .map((n) => {
        if (n === 3) throw new TypeError('a bug');
        return n;
      })
      .run(),
    (e: { code?: string; cause?: unknown }) =>
      e.code === 'ERR_TANDEM_PIPELINE_ITEM_FAILED' && e.cause instanceof TypeError,
  );
});

test('toFile with a schema serializes through fast-json-stringify (only the schema properties)', async (t) => {
  const engine = await start(t);
  const dir = await tempDir(t);
  const path = join(dir, 'rows.ndjson');
  const schema = {
    type: 'object',
    properties: { n: { type: 'integer' }, sq: { type: 'integer' } },
  };
  const report = await engine
    .pipeline(range(5))
    .cpu('square')
    .map((sq) => ({ n: Math.sqrt(sq), sq, secret: 'not written' }))
    .toFile(path, { schema });
  assert.equal(report.output, path);
  const rows = (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    rows.sort((a, b) => a.n - b.n),
    [...range(5)].map((n) => ({ n, sq: n * n })),
  );
  assert.deepEqual(await readdir(dir), ['rows.ndjson']);
});

test('io stages hold a permit of their limiter per key', async (t) => {
  const engine = await start(t);
  const perHost = limiter({ concurrency: 1 });
  const running = new Map<string, number>();
  let worst = 0;
  const urls = [...range(24)].map((i) => `http://host${i % 3}/file${i}`);
  const report = await engine
    .pipeline(urls)
    .io(
      async (url) => {
        const host = new URL(url).host;
        running.set(host, (running.get(host) ?? 0) + 1);
        worst = Math.max(worst, running.get(host) ?? 0);
        await turn();
        running.set(host, (running.get(host) ?? 0) - 1);
        return url;
      },
      { concurrency: 12, limiter: perHost, key: (url) => new URL(url).host },
    )
    .run();
  assert.equal(report.done, 24);
  assert.equal(worst, 1);
});

test('engine.shutdown() drains a running pipeline: in-flight items finish, the report says interrupted', async (t) => {
  const engine = await start(t);
  const release = deferred<void>();
  let started = 0;
  const progress: PipelineProgress[] = [];
  const run = engine
    .pipeline(range(1_000_000), { onProgress: (p) => progress.push(p) })
    .io(
      async (n) => {
        started += 1;
        if (started > 3) await release.promise;
        return n;
      },
      { concurrency: 4 },
    )
    .cpu('square')
    .run();
  while (started < 4) await turn();
  const closing = engine.shutdown();
  release.resolve();
  const report = await run;
  await closing;
  assert.equal(report.interrupted, true);
  assert.ok(report.done >= 4, `done ${report.done}`);
  assert.equal(report.failed, 0);
  assert.ok(report.read < 1_000_000);
  assert.equal(progress.at(-1)?.done, report.done);
  await assert.rejects(engine.pipeline([1]).run(), { code: 'ERR_TANDEM_POOL_CLOSED' });
});

test('options.signal cancels the run: it rejects with the reason', async (t) => {
  const engine = await start(t);
  const controller = new AbortController();
  const reason = new Error('stop');
  const run = engine
    .pipeline(range(1_000_000), { signal: controller.signal })
    .io(async (n, { signal }) => {
      if (n === 10) controller.abort(reason);
      await turn();
      signal.throwIfAborted();
      return n;
    })
    .run();
  await assert.rejects(run, (e) => e === reason);
});

test('a pipeline runs once; a stage method returns a new one', async (t) => {
  const engine = await start(t);
  const p = engine.pipeline([1, 2]);
  const q = p.map((n) => n * 2);
  assert.throws(() => p.map((n) => n), { code: 'ERR_TANDEM_PIPELINE_USED' });
  await assert.rejects(p.run(), { code: 'ERR_TANDEM_PIPELINE_USED' });
  assert.deepEqual((await q.collect()).sort(), [2, 4]);
  await assert.rejects(q.collect(), { code: 'ERR_TANDEM_PIPELINE_USED' });
});

test('bad arguments fail at once with coded errors', async (t) => {
  const engine = await start(t);
  assert.throws(() => engine.pipeline(42 as never), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
  assert.throws(() => engine.pipeline('abc' as never), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
  assert.throws(() => engine.pipeline([], { buffer: 0 }), { code: 'ERR_TANDEM_OUT_OF_RANGE' });
  assert.throws(() => engine.pipeline([], { onError: 'ignore' as never }), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
  assert.throws(() => engine.pipeline([]).io(async (x) => x, { concurrency: Number.NaN }), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
  assert.throws(() => engine.pipeline([]).batch(0), { code: 'ERR_TANDEM_OUT_OF_RANGE' });
  assert.throws(() => engine.pipeline([]).map(null as never), {
    code: 'ERR_TANDEM_INVALID_ARGUMENT',
  });
  await assert.rejects(engine.pipeline([1]).toFile(''), { code: 'ERR_TANDEM_INVALID_ARGUMENT' });
});
