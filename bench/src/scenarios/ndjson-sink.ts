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
import { judge, judgeTandem } from '../runner/target.ts';
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

/**
 * Two ways to time a serializer. `unread` keeps only each string's length, as serializer
 * benchmarks usually do. `chunk` does what the file sink does with the strings: joins a
 * batch of rows with newlines and encodes it to UTF-8. The difference matters here:
 * fast-json-stringify builds its result by concatenation, so it returns a rope of many small
 * pieces that V8 must walk and copy (and collect) when the string is first read, while
 * `JSON.stringify` returns one flat string. `unread` never pays that; a sink always does.
 */
const ways = {
  unread: (serialize: Serialize, rows: readonly ReportRow[]) => {
    let length = 0;
    for (const row of rows) length += serialize(row).length;
    return length;
  },
  chunk: (serialize: Serialize, rows: readonly ReportRow[]) => {
    const lines = new Array<string>(rows.length);
    for (const [i, row] of rows.entries()) lines[i] = serialize(row);
    return Buffer.from(`${lines.join('\n')}\n`).length;
  },
};

const groups = {
  chunk: 'serializer alone: 1,000 rows to one NDJSON chunk (join + UTF-8), as the sink does',
  unread: 'serializer alone: 1,000 rows, strings left unread (length only)',
};

async function serializerRows(
  rows: readonly ReportRow[],
  fast: Serialize,
  quick: boolean,
): Promise<Row[]> {
  let sink = 0;
  const serializers: [string, Serialize][] = [
    [labels.json, JSON.stringify],
    [labels.fjs, fast],
  ];
  const cases = (Object.keys(ways) as (keyof typeof ways)[]).flatMap((way) =>
    serializers.map(([label, serialize]) => ({
      name: `${way}/${label}`,
      fn: async () => {
        sink += ways[way](serialize, rows);
      },
    })),
  );
  const results = await microBench(
    cases,
    quick
      ? { time: 50, warmupTime: 20, iterations: 16, passes: 1 }
      : { time: 500, warmupTime: 200, iterations: 50, passes: 5 },
  );
  if (sink === 0) throw new Error('nothing serialized');
  return [...results].map(([name, r]) => {
    const [way, label] = name.split('/') as [keyof typeof ways, string];
    return {
      label,
      group: groups[way],
      value: {
        median: (rows.length * 1_000) / r.p50,
        min: (rows.length * 1_000) / r.max,
        max: (rows.length * 1_000) / r.min,
        count: r.samples,
      },
      extra: { 'µs per row (p50)': (r.p50 * 1_000) / rows.length, '±rme %': r.rme },
    };
  });
}

async function pipelineRows(
  rows: readonly ReportRow[],
  threads: number,
  rounds: number,
  log: (message: string) => void,
): Promise<Row[]> {
  const { Engine } = await import('@tandem/core');
  const engine: Engine = await Engine.start({
    tasks: new URL('../workers/engine-tasks.mjs', import.meta.url),
    threads,
    execArgv: [], // plain JavaScript: no tsx in the workers
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
    const rate = (label: string, group?: string) =>
      result.find((row) => row.label === label && (group === undefined || row.group === group))
        ?.value.median;
    return {
      metric: { name: 'throughput', unit: 'rows/s', better: 'higher' },
      rows: result,
      targets: [
        judge(
          targets.serializer,
          rate(labels.fjs, groups.chunk),
          rate(labels.json, groups.chunk),
          `Ratio of tinybench p50s (median of passes), rows serialized into an NDJSON chunk as the sink writes them. With the strings left unread, the ratio is ${((rate(labels.fjs, groups.unread) ?? Number.NaN) / (rate(labels.json, groups.unread) ?? Number.NaN)).toFixed(2)}×: see the notes.`,
        ),
        judgeTandem(
          targets.pipeline,
          tandemUnavailable,
          rate(labels.toFileSchema),
          rate(labels.toFile),
          'Ratio of median round times; both pay the pipeline and the writes.',
        ),
      ],
      notes: [
        `Rows as the batch downloader reports them (url, bytes, sha256, status, ms, analysis with 5 top bytes), ~${JSON.stringify(rows[0]).length} bytes of JSON each; both serializers checked to write identical bytes.`,
        'Serializer alone: each tinybench iteration serializes the same 1,000 rows, and either encodes them as one NDJSON chunk (what the file sink does: join with newlines, then UTF-8) or only reads their lengths (how serializer benchmarks are usually written).',
        "fast-json-stringify builds its string by concatenation: the result is a rope of many small pieces, which V8 walks and copies (and the GC collects) the first time the string is read. `JSON.stringify` returns a flat string. Reading only `.length` skips that cost, so the unread rows overstate fast-json-stringify's gain; the sink always pays it.",
        `Pipeline: an in-memory array through \`engine.pipeline(rows)\` straight into the sink, ${quick ? 2 : 5} rounds interleaved, written to a temporary folder; ${threads} thread(s) (unused: no cpu stage).`,
      ],
    };
  },
};
