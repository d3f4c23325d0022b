import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { Engine } from '@tandem/core';
import type tasks from './fixtures/pipeline-tasks.js';

const child = new URL('./fixtures/pipeline-child.ts', import.meta.url).pathname;
const ITEMS = 300;

/** Runs the child; `until` decides, per printed count of finished items, when to kill it. */
async function runChild(dir: string, kill?: { after: number; signal: NodeJS.Signals }) {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', child, dir, String(ITEMS), kill?.signal === 'SIGINT' ? 'sigint' : ''],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr += d;
  });
  let report: Record<string, unknown> | undefined;
  let sent = false;
  createInterface({ input: proc.stdout }).on('line', (line) => {
    if (line.startsWith('report ')) report = JSON.parse(line.slice(7));
    const done = line.startsWith('done ') ? Number(line.slice(5)) : 0;
    if (kill !== undefined && !sent && done >= kill.after) {
      sent = true;
      proc.kill(kill.signal);
    }
  });
  const [code, signal] = (await once(proc, 'exit')) as [number | null, string | null];
  return { code, signal, report, stderr };
}

/** Every item's rows exactly once in the output, every multiple of 7 once in the dead letters. */
async function checkOutputs(dir: string) {
  const rows = (await readFile(join(dir, 'out.ndjson'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const squares = rows.filter((r) => 'square' in r).map((r) => r.square as number);
  const halves = rows.filter((r) => 'half' in r).map((r) => r.half as number);
  const expected = [...Array(ITEMS).keys()].filter((n) => n % 7 !== 0).map((n) => n * n);
  assert.deepEqual(
    [...squares].sort((a, b) => a - b),
    expected,
    'each square exactly once',
  );
  assert.deepEqual(
    [...halves].sort((a, b) => a - b),
    expected.map((s) => s / 2),
    'each half exactly once',
  );
  const dead = (await readFile(join(dir, 'dead.ndjson'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    dead.map((d) => d.item as number).sort((a, b) => a - b),
    [...Array(ITEMS).keys()].filter((n) => n % 7 === 0),
  );
  assert.ok(dead.every((d) => d.error.code === 'E_SEVEN'));
  // Nothing left behind: no journal, no .part files.
  assert.deepEqual((await readdir(dir)).sort(), ['dead.ndjson', 'out.ndjson']);
}

test('kill -9 at many instants, then the same call resumes: nothing lost, nothing twice', {
  timeout: 240_000,
}, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-checkpoint-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // Each run is killed after its own `after` new items (the counts add up to most of the
  // 257 items that succeed), so the kills land at many points of the whole job.
  for (const after of [5, 20, 21, 30, 31, 40, 45, 50]) {
    const run = await runChild(dir, { after, signal: 'SIGKILL' });
    assert.equal(run.signal, 'SIGKILL', run.stderr);
    const files = await readdir(dir);
    assert.ok(!files.includes('out.ndjson'), 'no output is published by an unfinished run');
  }
  const last = await runChild(dir);
  assert.equal(last.code, 0, last.stderr);
  assert.ok(last.report, last.stderr);
  assert.ok((last.report.resumed as number) > 0, 'the last run skipped items the journal had');
  assert.equal(last.report.interrupted, false);
  await checkOutputs(dir);
});

test('a real SIGINT drains the run (interrupted: true, exit 130), and the next run completes it', {
  timeout: 120_000,
}, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-sigint-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const first = await runChild(dir, { after: 60, signal: 'SIGINT' });
  assert.equal(first.code, 130, first.stderr);
  assert.ok(first.report, first.stderr);
  assert.equal(first.report.interrupted, true);
  assert.equal(first.report.output, undefined);
  assert.ok((first.report.done as number) >= 60 * (6 / 7) - 1);
  const files = await readdir(dir);
  assert.ok(files.includes('journal') && files.includes('out.ndjson.part'), files.join(','));
  const second = await runChild(dir);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(
    second.report?.resumed,
    (first.report.done as number) + (first.report.failed as number),
  );
  await checkOutputs(dir);
});

test('a journal for other outputs, or whose .part file is shorter, is refused with a coded error', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-mismatch-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const engine = await Engine.start<typeof tasks>({
    tasks: new URL('./fixtures/pipeline-tasks.ts', import.meta.url),
    threads: 1,
  });
  t.after(() => engine.close());
  const journal = join(dir, 'journal');
  const out = join(dir, 'out.ndjson');
  const run = () =>
    engine
      .pipeline([1, 2, 3], { checkpoint: { path: journal, key: String } })
      .cpu('square')
      .toFile(out);
  await writeFile(journal, 'not a journal\n');
  await assert.rejects(run(), { code: 'ERR_TANDEM_CHECKPOINT_MISMATCH' });
  await writeFile(
    journal,
    `${JSON.stringify({ 'tandem-pipeline-journal': 1, output: '/elsewhere', deadLetter: null })}\n`,
  );
  await assert.rejects(run(), { code: 'ERR_TANDEM_CHECKPOINT_MISMATCH' });
  await writeFile(
    journal,
    `${JSON.stringify({ 'tandem-pipeline-journal': 1, output: out, deadLetter: null })}\n${JSON.stringify({ o: 100, d: 0, k: ['1'] })}\n`,
  );
  await writeFile(`${out}.part`, '1\n');
  await assert.rejects(run(), { code: 'ERR_TANDEM_CHECKPOINT_MISMATCH' });
  // A torn last line (a crash while appending it) is not a mismatch: it is cut and redone.
  await writeFile(
    journal,
    `${JSON.stringify({ 'tandem-pipeline-journal': 1, output: out, deadLetter: null })}\n${JSON.stringify({ o: 2, d: 0, k: ['1'] })}\n{"o":4,"d":0,"k":["2"`,
  );
  await writeFile(`${out}.part`, '1\n4\n');
  const report = await run();
  assert.equal(report.resumed, 1);
  assert.deepEqual((await readFile(out, 'utf8')).trim().split('\n').map(Number).sort(), [1, 4, 9]);
});

test('for await with a checkpoint: what the loop finished is not redone, the value it left is', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-stream-checkpoint-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const engine = await Engine.start<typeof tasks>({
    tasks: new URL('./fixtures/pipeline-tasks.ts', import.meta.url),
    threads: 1,
  });
  t.after(() => engine.close());
  const seen: number[] = [];
  const pipeline = () =>
    engine
      .pipeline([...Array(40).keys()], { checkpoint: { path: join(dir, 'journal'), key: String } })
      .cpu('square', { batch: 4 });
  for await (const square of pipeline()) {
    seen.push(square);
    if (seen.length === 10) break; // the 10th value's body did not finish as far as we know
  }
  const second: number[] = [];
  const stream = pipeline().stream();
  for await (const square of stream) second.push(square);
  const report = await stream.report;
  assert.equal(report.resumed, 9, 'the 9 values whose loop body ran are not redone');
  assert.ok(second.includes(seen[9] as number), 'the value left mid-body is redone');
  assert.deepEqual(
    [...new Set([...seen.slice(0, 9), ...second])].sort((a, b) => a - b),
    [...Array(40).keys()].map((n) => n * n),
  );
  assert.equal(seen.slice(0, 9).length + second.length, 40);
});

test('a crash while the sink flushes big rows between commits: resumed output holds each item once', {
  timeout: 180_000,
}, async (t) => {
  const selfKill = new URL('./fixtures/pipeline-selfkill-child.ts', import.meta.url).pathname;
  const items = 4000;
  const run = async (dir: string, killAt: number) => {
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', selfKill, dir, String(items), String(killAt)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => {
      out += d;
    });
    proc.stderr.on('data', (d) => {
      err += d;
    });
    const [code, signal] = (await once(proc, 'exit')) as [number | null, string | null];
    return { code, signal, out, err };
  };
  let resumedAny = 0;
  for (const killAt of [260, 1100, 2047, 3333]) {
    const dir = await mkdtemp(join(tmpdir(), 'tandem-selfkill-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const crashed = await run(dir, killAt);
    assert.equal(crashed.signal, 'SIGKILL', crashed.err);
    const resumed = await run(dir, -1);
    assert.equal(resumed.code, 0, resumed.err);
    const ids = (await readFile(join(dir, 'out.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).i as number);
    assert.equal(ids.length, items, `kill at ${killAt}: ${ids.length} rows`);
    assert.equal(new Set(ids).size, items, `kill at ${killAt}: duplicates`);
    resumedAny += JSON.parse(resumed.out).resumed;
  }
  assert.ok(resumedAny > 0, 'some resumed run skipped items the journal had');
});
