/**
 * downloader: the flagship example's workload — files served by its fixture server on
 * 127.0.0.1 with 20–80 ms of latency, each downloaded (streamed to disk) and then hashed and
 * analysed (~5 ms of CPU). The pipeline is the example's own run (`runDownloads`: retries,
 * per-host limiter, checkpoint journal, NDJSON report), against the same work done
 * sequentially and with `Promise.all` and the CPU inline. The ideal is the longer of the two
 * paths alone: the downloads at the pipeline's concurrency, or the CPU spread over the threads.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { analyse } from '../../../examples/batch-downloader/src/analyse.ts';
import { createAgent, download } from '../../../examples/batch-downloader/src/download.ts';
import {
  type FixtureServer,
  startFixtureServer,
} from '../../../examples/batch-downloader/src/fixture-server.ts';
import type tasks from '../../../examples/batch-downloader/src/tasks.ts';
import type { Row, Spread } from '../runner/result.ts';
import type { Scenario } from '../runner/scenario.ts';
import { spreadOf } from '../runner/spread.ts';
import { judgeTandem } from '../runner/target.ts';
import { type Contender, interleavedRounds } from '../runner/workload.ts';

/** Downloads in flight at once, for the pipeline and for the I/O-only path. */
const concurrency = 16;
/** ~5 ms of analysis per file on this kind of machine (the CPU-only row says how much). */
const fileSize = 96 * 1024;
const timeouts = { connect: 10_000, headers: 10_000, bodyIdle: 10_000 };

const timeTarget = {
  statement: 'pipeline time ≤ 1.2 × ideal max(I/O path, CPU path / threads)',
  comparison: '<=' as const,
  limit: 1.2,
};
const loopTarget = {
  statement: 'event-loop delay p99 ≤ 20 ms during the pipeline run',
  comparison: '<=' as const,
  limit: 20,
  unit: 'ms',
};

const labels = {
  io: `I/O only (${concurrency} at once)`,
  cpu: 'CPU only (inline)',
  sequential: 'sequential',
  all: 'Promise.all + inline CPU',
  pipeline: 'tandem pipeline',
};

interface Round {
  ms: number;
  /** Event-loop delay p99 (ms) during the round, net of the 1 ms sampling interval. */
  loopP99: number;
  /** CPU time of the whole process (every thread, ms) during the round. */
  cpuMs: number;
}

/** Times `work` and the loop's lateness meanwhile. */
async function measured(work: () => Promise<unknown>): Promise<Round> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const cpu = process.cpuUsage();
  const start = performance.now();
  await work();
  const ms = performance.now() - start;
  const { user, system } = process.cpuUsage(cpu);
  histogram.disable();
  return {
    ms,
    loopP99: Math.max(0, histogram.percentile(99) / 1e6 - 1),
    cpuMs: (user + system) / 1000,
  };
}

/** At most `limit` of `items` through `fn` at once. */
async function limited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>) {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

function record(loops: Map<string, number[]>, key: string, value: number): void {
  const list = loops.get(key);
  if (list) list.push(value);
  else loops.set(key, [value]);
}

interface Setup {
  server: FixtureServer;
  dispatcher: ReturnType<typeof createAgent>;
  dir: string;
  runPipeline: ((out: string) => Promise<number>) | undefined;
}

/** Each round starts from an empty folder, so every variant downloads every file. */
function variants(
  setup: Setup,
  loops: Map<string, number[]>,
  cpus: Map<string, number[]>,
): Contender<string>[] {
  const { server, dispatcher, dir } = setup;
  const files = server.manifest();
  let round = 0;
  const fresh = async () => {
    const out = join(dir, `round-${round++}`);
    await mkdir(out, { recursive: true });
    return out;
  };
  const fetchTo = (out: string, file: (typeof files)[number]) =>
    download(file.url, join(out, file.name), { dispatcher });
  const analyseFile = (out: string, file: (typeof files)[number]) =>
    analyse(readFileSync(join(out, file.name)));
  const contender = (key: string, body: (out: string) => Promise<unknown>): Contender<string> => ({
    key,
    round: async () => {
      const out = await fresh();
      try {
        const { ms, loopP99, cpuMs } = await measured(() => body(out));
        record(loops, key, loopP99);
        record(cpus, key, cpuMs);
        return ms;
      } finally {
        await rm(out, { recursive: true, force: true });
      }
    },
  });
  // The CPU-only path reads files already on disk: they are fetched before the clock starts.
  const cpuOnly: Contender<string> = {
    key: labels.cpu,
    round: async () => {
      const out = await fresh();
      try {
        await limited(files, concurrency, (file) => fetchTo(out, file));
        const { ms, loopP99, cpuMs } = await measured(async () => {
          for (const file of files) analyseFile(out, file);
        });
        record(loops, labels.cpu, loopP99);
        record(cpus, labels.cpu, cpuMs);
        return ms;
      } finally {
        await rm(out, { recursive: true, force: true });
      }
    },
  };
  return [
    contender(labels.io, (out) => limited(files, concurrency, (file) => fetchTo(out, file))),
    cpuOnly,
    contender(labels.sequential, async (out) => {
      for (const file of files) {
        await fetchTo(out, file);
        analyseFile(out, file);
      }
    }),
    contender(labels.all, (out) =>
      Promise.all(
        files.map(async (file) => {
          await fetchTo(out, file);
          analyseFile(out, file);
        }),
      ),
    ),
    ...(setup.runPipeline ? [contender(labels.pipeline, setup.runPipeline)] : []),
  ];
}

/** The example's own pipeline run, on an engine started once for all rounds. */
async function startPipeline(threads: number, server: FixtureServer) {
  const { Engine } = await import('@tandem/core');
  const { runDownloads } = await import('../../../examples/batch-downloader/src/run-downloads.ts');
  const { targetsFor } = await import('../../../examples/batch-downloader/src/targets.ts');
  const engine = await Engine.start<typeof tasks>({
    tasks: new URL('../../../examples/batch-downloader/src/tasks.ts', import.meta.url),
    threads,
  });
  const targets = targetsFor(server.urls());
  const engineLoop: number[] = [];
  const run = async (out: string) => {
    const { report } = await runDownloads(engine, targets, {
      out,
      concurrency,
      perHost: concurrency,
      attempts: 1,
      timeouts,
      progressBar: false,
    });
    if (report.done !== targets.length) {
      throw new Error(`the pipeline finished ${report.done} of ${targets.length} files`);
    }
    engineLoop.push(report.loop.p99);
    return report.done;
  };
  return { run, engineLoop, close: () => engine.close() };
}

export const downloader: Scenario = {
  name: 'downloader',
  title: 'the batch downloader: 20–80 ms downloads, then ~5 ms of CPU per file',
  async run({ quick, threads, tandemUnavailable, log }) {
    const files = quick ? 20 : 100;
    const rounds = quick ? 2 : 5;
    const server = await startFixtureServer({
      files,
      minSize: fileSize,
      maxSize: fileSize,
      latency: { min: 20, max: 80 },
    });
    const dispatcher = createAgent(timeouts);
    const dir = await mkdtemp(join(tmpdir(), 'tandem-bench-downloader-'));
    const pipeline = tandemUnavailable ? undefined : await startPipeline(threads, server);
    const loops = new Map<string, number[]>();
    const cpus = new Map<string, number[]>();
    try {
      const spreads = await interleavedRounds(
        variants({ server, dispatcher, dir, runPipeline: pipeline?.run }, loops, cpus),
        rounds,
        (name, error) => log(`  ${name}: failed, left out (${(error as Error).message})`),
      );
      const io = spreads.get(labels.io)?.median;
      const cpu = spreads.get(labels.cpu)?.median;
      const ideal = io === undefined || cpu === undefined ? undefined : Math.max(io, cpu / threads);
      const rows: Row[] = [...spreads].map(([label, value]) => ({
        label,
        value,
        extra: {
          '× ideal': ideal === undefined ? '–' : value.median / ideal,
          'loop p99 (ms)': spreadOf(loops.get(label) ?? [Number.NaN]).median,
          'process CPU (ms)': spreadOf(cpus.get(label) ?? [Number.NaN]).median,
        },
      }));
      if (ideal !== undefined) {
        const idealRow: Spread = { median: ideal, min: ideal, max: ideal, count: 1 };
        rows.push({
          label: 'ideal',
          value: idealRow,
          extra: { '× ideal': 1, 'loop p99 (ms)': '–' },
        });
      }
      const pipelineLoop = loops.get(labels.pipeline);
      return {
        metric: { name: 'time', unit: 'ms', better: 'lower' },
        rows,
        targets: [
          judgeTandem(
            timeTarget,
            tandemUnavailable,
            spreads.get(labels.pipeline)?.median,
            ideal,
            'ideal = max(I/O only, CPU only / threads), both measured in this run.',
          ),
          judgeTandem(
            loopTarget,
            tandemUnavailable,
            pipelineLoop && spreadOf(pipelineLoop).median,
            1,
            'Median over rounds of each round’s p99 (monitorEventLoopDelay, 1 ms resolution, net of it).',
          ),
        ],
        notes: [
          `${files} files of ${fileSize / 1024} KiB per round, ${rounds} rounds; fixture latency 20–80 ms before the headers; ${threads} thread(s).`,
          `CPU per file (read + SHA-256 + analysis, inline): ${cpu === undefined ? '–' : (cpu / files).toFixed(1)} ms.`,
          `The pipeline is the example's run: ${concurrency} downloads at once, per-host limiter, checkpoint journal and NDJSON report included; Promise.all starts every download at once.`,
          `The fixture server shares the loop (and the machine's cores) with the client in every row: the I/O path costs CPU too (its process CPU column), which the ideal leaves out.${pipeline && pipeline.engineLoop.length > 0 ? ` The engine's own loop p99 for the pipeline rounds: ${spreadOf(pipeline.engineLoop).median.toFixed(1)} ms.` : ''}`,
        ],
      };
    } finally {
      await pipeline?.close();
      await dispatcher.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
