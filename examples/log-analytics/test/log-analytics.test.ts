import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Engine } from '@tandem/core';
import { generateLog } from '../src/generate.ts';
import { analyseInline } from '../src/inline.ts';
import { analysePerLine } from '../src/per-line.ts';
import { analysePipeline } from '../src/pipeline.ts';
import { toReport } from '../src/report.ts';
import type tasks from '../src/tasks.ts';

const execFileAsync = promisify(execFile);
const cwd = new URL('..', import.meta.url).pathname;

/** Runs the example as `pnpm start` does; resolves with its exit code and output. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', ...args],
      { cwd, maxBuffer: 2 ** 24 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'log-analytics-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('on a small generated log', () => {
  let dir: string;
  let file: string;
  let engine: Engine<typeof tasks>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'log-analytics-test-'));
    file = join(dir, 'access.log');
    await generateLog(file, { lines: 20_000, seed: 7 });
    engine = await Engine.start<typeof tasks>({
      tasks: new URL('../src/tasks.ts', import.meta.url),
      threads: 1,
    });
  });
  after(async () => {
    await engine?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('pipeline and per-line give the aggregate inline gives, malformed lines included', async () => {
    const inline = await analyseInline(file);
    assert.equal(inline.lines, 20_000);
    assert.ok(inline.malformed > 0, 'the generator writes some malformed lines');
    // Batches that do not divide the line count, one line, and more than the whole file.
    for (const batch of [1_000, 333, 1, 50_000]) {
      assert.deepEqual(await analysePipeline(engine, file, { batch }), inline, `batch ${batch}`);
    }
    const perLine = await analysePerLine(engine, file, { limit: 1_000_000, window: 64 });
    assert.deepEqual(perLine, inline);
  });

  test('an empty log gives an empty aggregate in every mode', async () => {
    const empty = join(dir, 'empty.log');
    await writeFile(empty, '');
    const inline = await analyseInline(empty);
    assert.equal(inline.lines, 0);
    assert.deepEqual(await analysePipeline(engine, empty, { batch: 10 }), inline);
    assert.deepEqual(await analysePerLine(engine, empty, { limit: 10, window: 4 }), inline);
    assert.deepEqual(toReport(inline, 3).latency, { p50: null, p99: null });
  });

  test('per-line stops at its limit', async () => {
    const capped = await analysePerLine(engine, file, { limit: 1_000, window: 8 });
    assert.equal(capped.lines, 1_000);
  });
});

test('malformed lines are counted, and blank, CRLF and unterminated lines handled', async (t) => {
  const dir = await tempDir(t);
  const good =
    '10.0.0.1 - - [30/Nov/2026:00:00:01 +0000] "GET /a?x=1 HTTP/1.1" 200 100 "-" "curl/8.5.0" 1500';
  const lines = [
    good,
    `${good.replace('/a?x=1', '/a?x=2')}\r`, // CRLF: the \r is not part of the time
    '2001:db8::1 - bob [30/Nov/2026:00:00:02 +0000] "POST /b HTTP/2.0" 503 - "-" "x \\"quoted\\" agent" 250000',
    good.slice(0, 60), // truncated
    '', // blank
    'GET /favicon.ico', // garbage
    good.replace('" 200 ', '" 2O0 '), // a letter O in the status
    good.replace('"GET', 'GET'), // a lost quote
  ];
  const file = join(dir, 'handmade.log');
  await writeFile(file, `${lines.join('\n')}\n${good}`); // the last line has no newline
  const aggregate = await analyseInline(file);
  assert.equal(aggregate.lines, 9);
  assert.equal(aggregate.malformed, 5);
  const report = toReport(aggregate, 5);
  assert.deepEqual(report.statuses, [
    { status: 200, hits: 3 },
    { status: 503, hits: 1 },
  ]);
  assert.deepEqual(report.topPathsByHits, [
    { path: '/a', hits: 3, bytes: 300 },
    { path: '/b', hits: 1, bytes: 0 },
  ]);
  assert.deepEqual(report.topIps, [
    { ip: '10.0.0.1', hits: 3 },
    { ip: '2001:db8::1', hits: 1 },
  ]);
  // The sketch reports a bucket's lower bound: within 1/32 below the true value.
  const near = (value: number | null, exact: number) =>
    value !== null && value <= exact && value >= exact * (1 - 1 / 32);
  assert.ok(near(report.latency.p50, 1_500), `p50 ${report.latency.p50}`);
  assert.ok(near(report.latency.p99, 250_000), `p99 ${report.latency.p99}`);
});

test('a missing log file rejects with ERR_LOG_ANALYTICS_FILE_NOT_FOUND in every mode', async (t) => {
  const dir = await tempDir(t);
  const missing = join(dir, 'nope.log');
  const code = 'ERR_LOG_ANALYTICS_FILE_NOT_FOUND';
  await assert.rejects(analyseInline(missing), { code });
  await assert.rejects(analyseInline(dir), { code });
  const engine = await Engine.start<typeof tasks>({
    tasks: new URL('../src/tasks.ts', import.meta.url),
    threads: 1,
  });
  t.after(() => engine.close());
  await assert.rejects(analysePipeline(engine, missing, { batch: 100 }), { code });
  await assert.rejects(analysePerLine(engine, missing, { limit: 10, window: 4 }), { code });
});

test('the generator is deterministic: same seed, same bytes; another seed, other bytes', async (t) => {
  const dir = await tempDir(t);
  const digest = async (name: string, seed: number) => {
    await generateLog(join(dir, name), { lines: 5_000, seed });
    return createHash('sha256')
      .update(await readFile(join(dir, name)))
      .digest('hex');
  };
  const first = await digest('a.log', 3);
  assert.equal(await digest('b.log', 3), first);
  assert.notEqual(await digest('c.log', 4), first);
});

describe('the command line', () => {
  test('every mode on a generated log: exit 0, and the modes agree', async (t) => {
    const file = join(await tempDir(t), 'cli.log');
    const { code, stdout } = await cli('--generate', '--file', file, '--lines', '5000', '--json');
    assert.equal(code, 0);
    const { report, runs, same } = JSON.parse(stdout) as {
      report: { lines: number; malformed: number };
      runs: { mode: string; lines: number }[];
      same: boolean;
    };
    assert.equal(same, true);
    assert.equal(report.lines, 5_000);
    assert.deepEqual(
      runs.map((run) => [run.mode, run.lines]),
      runs.map((run) => [run.mode, 5_000]),
    );
  });

  test('a missing --file exits 2 and names ERR_LOG_ANALYTICS_FILE_NOT_FOUND', async (t) => {
    const { code, stderr } = await cli('--file', join(await tempDir(t), 'missing.log'));
    assert.equal(code, 2);
    assert.match(stderr, /ERR_LOG_ANALYTICS_FILE_NOT_FOUND/);
  });

  test('--help lists every flag and exits 0; a bad value exits 2', async () => {
    const help = await cli('--help');
    assert.equal(help.code, 0);
    for (const flag of ['--mode', '--file', '--generate', '--lines', '--seed', '--batch']) {
      assert.ok(help.stdout.includes(flag), flag);
    }
    for (const flag of ['--threads', '--per-line-limit', '--top', '--json']) {
      assert.ok(help.stdout.includes(flag), flag);
    }
    for (const bad of [['--lines', '0'], ['--batch', '1e3'], ['--mode', 'fast'], ['--nope']]) {
      assert.equal((await cli(...bad)).code, 2, bad.join(' '));
    }
  });
});
