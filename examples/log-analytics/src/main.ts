/**
 * Log analytics: tiny CPU items at volume. A generated access log is streamed line by line,
 * parsed and aggregated, and a top-N report is printed — by each mode in turn (`--mode all`,
 * the default) so that their wall times and loop delays can be compared and their aggregates
 * checked equal. `--help` lists the flags.
 */
import { stat } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { Engine, LoopDelayMonitor } from '@tandem/core';
import type { Aggregate } from './aggregate.ts';
import { LogFileNotFoundError } from './errors.ts';
import { generateLog } from './generate.ts';
import { analyseInline } from './inline.ts';
import { type Mode, type Options, parseOptions, UsageError, usage } from './options.ts';
import { analysePerLine } from './per-line.ts';
import { analysePipeline } from './pipeline.ts';
import { formatReport, toReport } from './report.ts';
import type tasks from './tasks.ts';

interface Run {
  mode: Mode;
  aggregate: Aggregate;
  ms: number;
  loopP99: number;
}

const log = (message: string) => process.stderr.write(`${message}\n`);

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** Generates the log when asked to, or when the default one is missing; else it must exist. */
async function prepareLog({ file, defaultFile, generate, lines, seed }: Options): Promise<void> {
  if (generate || (defaultFile && !(await exists(file)))) {
    log(`generating ${lines.toLocaleString('en-US')} lines (seed ${seed}) into ${file}…`);
    const started = performance.now();
    await generateLog(file, { lines, seed });
    log(`  done in ${((performance.now() - started) / 1_000).toFixed(1)} s`);
  } else if (!(await exists(file))) {
    throw new LogFileNotFoundError(file);
  }
}

async function measure(mode: Mode, work: () => Promise<Aggregate>): Promise<Run> {
  const monitor = new LoopDelayMonitor(1);
  monitor.start();
  const started = performance.now();
  const aggregate = await work();
  const ms = performance.now() - started;
  monitor.stop();
  return { mode, aggregate, ms, loopP99: monitor.snapshot().p99 };
}

function analyse(mode: Mode, engine: Engine<typeof tasks> | undefined, options: Options) {
  switch (mode) {
    case 'pipeline':
      return analysePipeline(engine!, options.file, { batch: options.batch });
    case 'inline':
      return analyseInline(options.file);
    case 'per-line':
      return analysePerLine(engine!, options.file, {
        limit: options.perLineLimit,
        window: 64 * options.threads,
      });
  }
}

/** Whether the aggregates of runs over the same lines are equal (capped runs are skipped). */
function agree(runs: readonly Run[]): boolean {
  const total = Math.max(...runs.map((run) => run.aggregate.lines));
  const whole = runs.filter((run) => run.aggregate.lines === total);
  return whole.every((run) => isDeepStrictEqual(run.aggregate, whole[0]!.aggregate));
}

function printRuns(runs: readonly Run[], same: boolean, options: Options): void {
  const inline = runs.find((run) => run.mode === 'inline');
  const rate = (run: Run) => (run.aggregate.lines / run.ms) * 1_000;
  console.log(`\nmode        threads      lines    wall ms     lines/s   × inline   loop p99`);
  for (const run of runs) {
    const threads = run.mode === 'inline' ? '-' : String(options.threads);
    const speedup = inline ? (rate(run) / rate(inline)).toFixed(2) : '-';
    console.log(
      `${run.mode.padEnd(12)}${threads.padStart(7)}${run.aggregate.lines.toLocaleString('en-US').padStart(11)}${run.ms.toFixed(0).padStart(11)}${Math.round(rate(run)).toLocaleString('en-US').padStart(12)}${speedup.padStart(11)}${run.loopP99.toFixed(1).padStart(8)} ms`,
    );
  }
  const capped = runs.filter(
    (run) => run.aggregate.lines < Math.max(...runs.map((r) => r.aggregate.lines)),
  );
  for (const run of capped) {
    console.log(
      `(${run.mode}: the first ${run.aggregate.lines.toLocaleString('en-US')} lines only, --per-line-limit; not compared)`,
    );
  }
  if (runs.length > 1) console.log(`same aggregate in every mode: ${same ? 'yes' : 'NO'}`);
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options === 'help') {
    console.log(usage);
    return 0;
  }
  await prepareLog(options);
  const needsEngine = options.modes.some((mode) => mode !== 'inline');
  await using engine = needsEngine
    ? await Engine.start<typeof tasks>({
        tasks: new URL('./tasks.ts', import.meta.url),
        threads: options.threads,
      })
    : undefined;
  const runs: Run[] = [];
  for (const mode of options.modes) {
    log(`${mode}…`);
    runs.push(await measure(mode, () => analyse(mode, engine, options)));
  }
  const same = agree(runs);
  // The report of the first mode that read the whole log.
  const full = runs.reduce((a, b) => (b.aggregate.lines > a.aggregate.lines ? b : a));
  const report = toReport(full.aggregate, options.top);
  if (options.json) {
    const timings = runs.map(({ mode, aggregate, ms, loopP99 }) => ({
      mode,
      lines: aggregate.lines,
      ms,
      loopP99,
    }));
    console.log(JSON.stringify({ report, runs: timings, same }));
  } else {
    console.log(formatReport(report));
    printRuns(runs, same, options);
  }
  return same ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\n${usage}`);
    process.exitCode = 2;
  } else if (error instanceof LogFileNotFoundError) {
    console.error(`${error.name} [${error.code}]: ${error.message}`);
    process.exitCode = 2;
  } else {
    throw error;
  }
}
