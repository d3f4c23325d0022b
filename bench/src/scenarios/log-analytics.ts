/**
 * log-analytics: tiny CPU items at volume. The example's access log (generated once, cached in
 * the temp folder) is parsed and aggregated three ways, with the example's own code: inline on
 * the loop, through the batched pipeline (lines read and split on the loop, parsed in the
 * pool a batch per message, partial aggregates merged on the loop), and one `engine.run` per
 * line (on a subset: it is slow by design). The pipeline runs twice: with the run's thread
 * count (one core left to the loop) and with a thread per core.
 *
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { isDeepStrictEqual } from 'node:util';
import type { Engine, LoopDelayMonitor } from '@tandem/core';
import { type Aggregate, createAggregate } from '../../../examples/log-analytics/src/aggregate.ts';
import { generateLog, generatorVersion } from '../../../examples/log-analytics/src/generate.ts';
import { analyseInline } from '../../../examples/log-analytics/src/inline.ts';
import { mergePartial } from '../../../examples/log-analytics/src/partial.ts';
import { analysePerLine } from '../../../examples/log-analytics/src/per-line.ts';
import { analysePipeline } from '../../../examples/log-analytics/src/pipeline.ts';
import type tasks from '../../../examples/log-analytics/src/tasks.ts';
import type { Row, Spread } from '../runner/result.ts';
import type { Scenario } from '../runner/scenario.ts';
import { rateOf, spreadOf } from '../runner/spread.ts';
import { judge, notRun, type TargetSpec } from '../runner/target.ts';
import { type Contender, interleavedRounds } from '../runner/workload.ts';
import type chunkTasks from '../workers/log-chunk-tasks.ts';

type LogEngine = Engine<typeof tasks>;
type ChunkEngine = Engine<typeof chunkTasks>;

const batch = 32_768;
const inlineLabel = 'inline (loop only)';
const pipelineLabel = (threads: number) =>
  `pipeline batch=${batch}, ${threads} thread${threads === 1 ? '' : 's'}`;
const chunksLabel = (threads: number) =>
  `pipeline of 1 MiB text chunks (no per-line items), ${threads} thread${threads === 1 ? '' : 's'}`;
const perLineLabel = (threads: number) => `engine.run per line, ${threads} thread(s)`;

const target = (threads: number, cores: number): TargetSpec => ({
  statement: `log-analytics pipeline (${threads} thread${threads === 1 ? '' : 's'} on ${cores} cores) ≥ 1.3 × inline`,
  comparison: '>=',
  limit: 1.3,
});

/** The cached log of `lines` lines: generated on first use (seed 1), reused afterwards. */
async function logFile(lines: number, log: (message: string) => void): Promise<string> {
  const file = join(
    tmpdir(),
    'tandem-bench-log-analytics',
    `access-v${generatorVersion}-${lines}-1.log`,
  );
  const exists = await stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!exists) {
    log(`  generating ${lines.toLocaleString('en-US')} log lines into ${file} (once)…`);
    await generateLog(file, { lines, seed: 1 });
  }
  return file;
}

/** The file as text chunks of whole lines, about 1 MiB each: nothing split on the loop. */
async function* textChunks(path: string): AsyncGenerator<string> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(2 ** 20);
    const decoder = new StringDecoder('utf8');
    let rest = '';
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const text = rest + decoder.write(buffer.subarray(0, bytesRead));
      const cut = text.lastIndexOf('\n') + 1;
      rest = text.slice(cut);
      if (cut > 0) yield text.slice(0, cut);
    }
    const last = rest + decoder.end();
    if (last.length > 0) yield last;
  } finally {
    await file.close();
  }
}

/** The alternative to lines through the pipeline: text chunks, split and parsed in the pool. */
async function analyseChunks(engine: ChunkEngine, path: string): Promise<Aggregate> {
  const total = createAggregate();
  await engine
    .pipeline(textChunks(path))
    .cpu('parseText', { batch: 1 })
    .tap((partial) => {
      mergePartial(total, partial);
    })
    .run();
  return total;
}

interface Measured {
  ms: number[];
  loopP99: number[];
  /** CPU ms of the main thread (the loop) and of every other thread of the process. */
  loopCpu: number[];
  otherCpu: number[];
  lines: number;
}

/**
 * CPU time so far (ms) of the main thread and of all other threads of this process (workers,
 * libuv, V8's helpers), from /proc; undefined where /proc does not exist. On a shared machine
 * wall time says little about what a run would take on idle cores; CPU time per thread
 * does: with one worker thread, the run cannot finish faster than its busiest thread.
 */
function threadCpu(): { loop: number; other: number } | undefined {
  try {
    let loop = 0;
    let other = 0;
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after the command name: state is 3rd, utime 14th and stime 15th (in ticks).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = (Number(fields[11]) + Number(fields[12])) * 10;
      if (tid === String(process.pid)) loop += ms;
      else other += ms;
    }
    return { loop, other };
  } catch {
    return undefined;
  }
}

export const logAnalytics: Scenario = {
  name: 'log-analytics',
  title: 'parse and aggregate an access log: batched pipeline vs inline vs engine.run per line',
  async run({ quick, threads, cores, tandemUnavailable, log }) {
    const lines = quick ? 50_000 : 1_000_000;
    const perLineLines = quick ? 2_000 : 20_000;
    const rounds = quick ? 1 : 3;
    const file = await logFile(lines, log);
    const threadCounts = [...new Set([threads, Math.max(threads, cores)])];
    const engines = new Map<number, LogEngine>();
    const chunkEngines = new Map<number, ChunkEngine>();
    const measured = new Map<string, Measured>();
    let reference: Aggregate | undefined;
    try {
      const core = tandemUnavailable ? undefined : await import('@tandem/core');
      for (const n of core ? threadCounts : []) {
        engines.set(
          n,
          await core!.Engine.start<typeof tasks>({
            tasks: new URL('../../../examples/log-analytics/src/tasks.ts', import.meta.url),
            threads: n,
          }),
        );
        chunkEngines.set(
          n,
          await core!.Engine.start<typeof chunkTasks>({
            tasks: new URL('../workers/log-chunk-tasks.ts', import.meta.url),
            threads: n,
          }),
        );
      }
      const contender = (
        key: string,
        work: () => Promise<Aggregate>,
        expectedLines: number,
      ): Contender<string> => {
        const m: Measured = {
          ms: [],
          loopP99: [],
          loopCpu: [],
          otherCpu: [],
          lines: expectedLines,
        };
        measured.set(key, m);
        return {
          key,
          async round() {
            const monitor: LoopDelayMonitor | undefined = core && new core.LoopDelayMonitor(1);
            monitor?.start();
            const cpuBefore = threadCpu();
            const started = performance.now();
            const aggregate = await work();
            const ms = performance.now() - started;
            const cpuAfter = threadCpu();
            monitor?.stop();
            if (aggregate.lines !== expectedLines) {
              throw new Error(`${key} counted ${aggregate.lines} lines, expected ${expectedLines}`);
            }
            // Every full run must agree with the first one, bit for bit.
            if (expectedLines === lines) {
              reference ??= aggregate;
              if (!isDeepStrictEqual(aggregate, reference)) throw new Error(`${key} disagrees`);
            }
            m.ms.push(ms);
            m.loopP99.push(monitor?.snapshot().p99 ?? Number.NaN);
            if (cpuBefore && cpuAfter) {
              m.loopCpu.push(cpuAfter.loop - cpuBefore.loop);
              m.otherCpu.push(cpuAfter.other - cpuBefore.other);
            }
            return ms;
          },
        };
      };
      const contenders = [contender(inlineLabel, () => analyseInline(file), lines)];
      for (const [n, engine] of engines) {
        contenders.push(
          contender(pipelineLabel(n), () => analysePipeline(engine, file, { batch }), lines),
        );
      }
      for (const [n, engine] of chunkEngines) {
        contenders.push(contender(chunksLabel(n), () => analyseChunks(engine, file), lines));
      }
      const perLineEngine = engines.get(threads);
      if (perLineEngine) {
        contenders.push(
          contender(
            perLineLabel(threads),
            () =>
              analysePerLine(perLineEngine, file, { limit: perLineLines, window: 64 * threads }),
            perLineLines,
          ),
        );
      }
      // Warm-up: the page cache, the JIT and the workers, untimed. A contender that fails
      // here fails again in the rounds, which log it and leave it out.
      for (const { round } of contenders) await round().catch(() => {});
      for (const m of measured.values()) {
        m.ms = [];
        m.loopP99 = [];
        m.loopCpu = [];
        m.otherCpu = [];
      }
      await interleavedRounds(contenders, rounds, (key, error) =>
        log(`  ${key}: failed, left out (${(error as Error).message})`),
      );
    } finally {
      await Promise.all(
        [...engines.values(), ...chunkEngines.values()].map((engine) => engine.close()),
      );
    }
    const rates = new Map<string, Spread>();
    const rows: Row[] = [];
    for (const [label, m] of measured) {
      if (m.ms.length === 0) continue;
      const rate = rateOf(spreadOf(m.ms), m.lines * 1_000);
      rates.set(label, rate);
      rows.push({
        label,
        value: rate,
        extra: {
          lines: m.lines,
          'round (ms)': spreadOf(m.ms).median,
          'µs per line': (spreadOf(m.ms).median * 1_000) / m.lines,
          'loop p99 (ms)': spreadOf(m.loopP99).median,
          ...(m.loopCpu.length > 0
            ? {
                'loop CPU (µs/line)': (spreadOf(m.loopCpu).median * 1_000) / m.lines,
                'other threads CPU (µs/line)': (spreadOf(m.otherCpu).median * 1_000) / m.lines,
              }
            : {}),
        },
      });
    }
    const inline = rates.get(inlineLabel)?.median;
    for (const row of rows) if (inline) row.extra!['× inline'] = row.value.median / inline;
    const judged = threadCounts.map((n) =>
      tandemUnavailable
        ? notRun(target(n, cores), `engine unavailable: ${tandemUnavailable}`)
        : judge(
            target(n, cores),
            rates.get(pipelineLabel(n))?.median,
            inline,
            'Ratio of median rates, same log, same parser, same reader.',
          ),
    );
    return {
      metric: { name: 'throughput', unit: 'lines/s', better: 'higher' },
      rows,
      targets: judged,
      notes: [
        `A generated combined-format access log with response times, ${lines.toLocaleString('en-US')} lines (~176 bytes each, 1 in 1,000 malformed); ${rounds} round(s) interleaved after an untimed warm-up; every full run's aggregate checked equal to the first.`,
        `inline reads 1 MiB chunks, splits and parses them on the loop; the pipeline reads and splits on the loop and sends ${batch.toLocaleString('en-US')} lines per message; per-line runs the first ${perLineLines.toLocaleString('en-US')} lines with ${64 * threads} engine.run calls in flight.`,
        'CPU columns: CPU time per line of the main thread (the loop) and of all other threads (workers, libuv, V8 helpers), medians of the rounds, from /proc at 10 ms resolution. On a shared machine they say what the wall times cannot: on idle cores a run takes at least its busiest thread, and at least the total divided by the cores.',
        `The "text chunks" rows are not a mode of the example: the same parser over 1 MiB chunks of whole lines, split in the pool (\`bench/src/workers/log-chunk-tasks.ts\`). They show what the pipeline's per-line items and the loop's splitting cost. Not judged.`,
        'With one worker thread the pipeline can gain at most what the loop takes off the worker (reading and splitting, ~15 % of inline): the parse itself still runs on one core. With a thread per core the workers parse in parallel and the loop, mostly idle, shares a core with them.',
      ],
    };
  },
};
