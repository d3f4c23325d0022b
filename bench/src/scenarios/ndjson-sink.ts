/**
 * ndjson-sink: the downloader's report rows serialized by fast-json-stringify (compiled from a
 * JSON schema) against `JSON.stringify`. Twice: the serializer alone under tinybench, and a
 * whole pipeline into a file, `toFile(path, { schema })` against `toFile(path)`, where the
 * pipeline's own per-item work and the file writes are paid by both. A `run()` row (the same
 * pipeline, no file, no serializing) shows how much of a toFile run is the pipeline itself.
 *
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine } from '@tandem/core';
import { microBench } from '../runner/micro.ts';
import type { Row } from '../runner/result.ts';
import type { Scenario } from '../runner/scenario.ts';
import { rateOf } from '../runner/spread.ts';
import { judge, notRun } from '../runner/target.ts';
import { interleavedRounds, timeOnce } from '../runner/workload.ts';
import { type ReportRow, reportRow, reportRowSchema } from './ndjson-sink-rows.ts';

const targets = {
  serializer: {
    statement: 'fast-json-stringify ≥ 2 × JSON.stringify on the report rows (serializer alone)',
    comparison: '>=' as const,
    limit: 2,
  },
  pipeline: {
    statement: 'pipeline toFile with schema ≥ 2 × toFile without (report rows, whole run)',
    comparison: '>=' as const,
    limit: 2,
  },
};

const labels = {
  json: 'JSON.stringify',
  fjs: 'fast-json-stringify',
  toFile: 'toFile(path)',
  toFileSchema: 'toFile(path, { schema })',
  run: 'run() (no file, no serializing)',
};

type Serialize = (row: ReportRow) => string;

function compileSchema(): Serialize {
  // CommonJS, loaded as core's file sink loads it.
  const build = createRequire(import.meta.url)('fast-json-stringify') as (
    schema: object,
  ) => Serialize;
  return build(reportRowSchema);
}

/** Both serializers must write the same JSON, or the comparison means nothing. */
function checkSame(rows: readonly ReportRow[], fast: Serialize): void {
  for (const row of rows) {
    const expected = JSON.stringify(row);
    if (fast(row) !== expected) {
      throw new Error(
        `fast-json-stringify wrote ${fast(row)} where JSON.stringify wrote ${expected}`,
      );
    }
  }
}

async function serializerRows(
  rows: readonly ReportRow[],
  fast: Serialize,
  quick: boolean,
): Promise<Row[]> {
  let sink = 0;
  const all = (serialize: Serialize) => async () => {
    for (const row of rows) sink += serialize(row).length;
  };
  const results = await microBench(
    [
      { name: labels.json, fn: all(JSON.stringify) },
      { name: labels.fjs, fn: all(fast) },
    ],
    quick
      ? { time: 50, warmupTime: 20, iterations: 16, passes: 1 }
      : { time: 500, warmupTime: 200, iterations: 50, passes: 5 },
  );
  if (sink === 0) throw new Error('nothing serialized');
  return [...results].map(([label, r]) => ({
    label,
    group: `serializer alone, ${rows.length.toLocaleString('en-US')} rows per iteration`,
    value: {
      median: (rows.length * 1_000) / r.p50,
      min: (rows.length * 1_000) / r.max,
      max: (rows.length * 1_000) / r.min,
      count: r.samples,
    },
    extra: { 'µs per row (p50)': (r.p50 * 1_000) / rows.length, '±rme %': r.rme },
  }));
}

async function pipelineRows(
  rows: readonly ReportRow[],
  threads: number,
  rounds: number,
  log: (message: string) => void,
): Promise<Row[]> {
  const { Engine } = await import('@tandem/core');
  const engine: Engine = await Engine.start({
    tasks: new URL('../workers/engine-tasks.ts', import.meta.url),
    threads,
  });
  const dir = await mkdtemp(join(tmpdir(), 'tandem-bench-ndjson-'));
  try {
    const file = join(dir, 'report.ndjson');
    const spreads = await interleavedRounds(
      [
        {
          key: labels.toFile,
          round: () => timeOnce(() => engine.pipeline(rows).toFile(file)),
        },
        {
          key: labels.toFileSchema,
          round: () =>
            timeOnce(() => engine.pipeline(rows).toFile(file, { schema: reportRowSchema })),
        },
        { key: labels.run, round: () => timeOnce(() => engine.pipeline(rows).run()) },
      ],
      rounds,
      (name, error) => log(`  ${name}: failed, left out (${(error as Error).message})`),
    );
    return [...spreads].map(([label, ms]) => ({
      label,
      group: `pipeline, ${rows.length.toLocaleString('en-US')} rows`,
      value: rateOf(ms, rows.length * 1_000),
      extra: { 'round (ms)': ms.median, 'µs per row (p50)': (ms.median * 1_000) / rows.length },
    }));
  } finally {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export const ndjsonSink: Scenario = {
  name: 'ndjson-sink',
  title: 'NDJSON report rows: fast-json-stringify (schema) vs JSON.stringify',
  async run({ quick, threads, tandemUnavailable, log }) {
    const rows = Array.from({ length: 1_000 }, (_, i) => reportRow(i));
    const pipelineItems = Array.from({ length: quick ? 20_000 : 200_000 }, (_, i) => reportRow(i));
    const fast = compileSchema();
    checkSame(rows, fast);
    const result: Row[] = await serializerRows(rows, fast, quick);
    if (!tandemUnavailable) {
      result.push(...(await pipelineRows(pipelineItems, threads, quick ? 2 : 5, log)));
    }
    const rate = (label: string) => result.find((row) => row.label === label)?.value.median;
    return {
      metric: { name: 'throughput', unit: 'rows/s', better: 'higher' },
      rows: result,
      targets: [
        judge(
          targets.serializer,
          rate(labels.fjs),
          rate(labels.json),
          'Ratio of tinybench p50s (median of passes).',
        ),
        tandemUnavailable
          ? notRun(targets.pipeline, `engine unavailable: ${tandemUnavailable}`)
          : judge(
              targets.pipeline,
              rate(labels.toFileSchema),
              rate(labels.toFile),
              'Ratio of median round times; both pay the pipeline and the writes.',
            ),
      ],
      notes: [
        `Rows as the batch downloader reports them (url, bytes, sha256, status, ms, analysis with 5 top bytes), ~${JSON.stringify(rows[0]).length} bytes of JSON each; both serializers checked to write identical bytes.`,
        'Serializer alone: each tinybench iteration serializes the same 1,000 rows.',
        `Pipeline: an in-memory array through \`engine.pipeline(rows)\` straight into the sink, ${quick ? 2 : 5} rounds interleaved, written to a temporary folder; ${threads} thread(s) (unused: no cpu stage).`,
      ],
    };
  },
};
