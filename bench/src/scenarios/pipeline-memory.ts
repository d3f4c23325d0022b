/**
 * pipeline-memory: a 10,000,000-item generator through `engine.pipeline()` — two loop stages
 * (`map`, `filter`) and a batched `.cpu` stage — against the same with 100,000 items. Bounded
 * buffers mean that the peak RSS should not grow with the input, and the heap left after a
 * full GC should not either. Each measurement is a fresh child process
 * (`pipeline-memory-child.ts`), as in the memory scenario.
 *
 * The same pipeline over an async generator is measured too, at 1,000,000 items (an async
 * source is pulled one item per await, so 10M would take minutes).
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Row } from '../runner/result.ts';
import type { Scenario } from '../runner/scenario.ts';
import { spreadOf } from '../runner/spread.ts';
import { judge, notRun, type TargetSpec } from '../runner/target.ts';
import type { PipelineMemoryProbe } from './pipeline-memory-child.ts';

const run = promisify(execFile);
const child = fileURLToPath(new URL('pipeline-memory-child.ts', import.meta.url));

type SourceKind = 'sync' | 'async';

interface Case {
  kind: SourceKind;
  label: string;
  /** The label with its article, for the target statements. */
  source: string;
  small: number;
  large: number;
  /** V8 flags for the child (its workers inherit them). */
  v8Flags: string[];
  /** Whether the targets are judged on this case (the capped-nursery case only explains). */
  judged: boolean;
}

const count = (n: number) => n.toLocaleString('en-US');

function cases(quick: boolean): Case[] {
  const generator: Case = {
    kind: 'sync',
    label: 'generator',
    source: 'a generator',
    small: quick ? 10_000 : 100_000,
    large: quick ? 200_000 : 10_000_000,
    v8Flags: [],
    judged: true,
  };
  return [
    generator,
    // As in the memory scenario: how much of the growth is V8 sizing its young generation to
    // the allocation rate (a speed choice), not memory the pipeline holds.
    {
      ...generator,
      label: 'generator, semi-space ≤ 2 MiB',
      v8Flags: ['--max-semi-space-size=2'],
      judged: false,
    },
    {
      kind: 'async',
      label: 'async generator',
      source: 'an async generator',
      small: quick ? 10_000 : 100_000,
      large: quick ? 50_000 : 1_000_000,
      v8Flags: [],
      judged: true,
    },
  ];
}

const targets = (c: Case): { rss: TargetSpec; heap: TargetSpec } => ({
  rss: {
    statement: `pipeline over ${c.source}: peak RSS at ${count(c.large)} items ≤ 1.2 × at ${count(c.small)}`,
    comparison: '<=',
    limit: 1.2,
  },
  heap: {
    statement: `pipeline over ${c.source}: heap after a mid-run GC at ${count(c.large)} items ≤ 1.2 × at ${count(c.small)} (flat)`,
    comparison: '<=',
    limit: 1.2,
  },
});

async function probe(c: Case, items: number, threads: number): Promise<PipelineMemoryProbe> {
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', ...c.v8Flags, '--import', 'tsx', child, c.kind, String(items), String(threads)],
    { cwd: fileURLToPath(new URL('../..', import.meta.url)), maxBuffer: 2 ** 20 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as PipelineMemoryProbe;
}

export const pipelineMemory: Scenario = {
  name: 'pipeline-memory',
  title: 'peak RSS and heap of a pipeline run: 10,000,000 items vs 100,000',
  async run({ quick, threads, tandemUnavailable, log }) {
    const rounds = quick ? 1 : 2;
    const rows: Row[] = [];
    const judged = [];
    for (const c of cases(quick)) {
      const { rss, heap } = targets(c);
      if (tandemUnavailable) {
        const reason = `engine unavailable: ${tandemUnavailable}`;
        if (c.judged) judged.push(notRun(rss, reason), notRun(heap, reason));
        continue;
      }
      const medians = new Map<number, { rss: number; heap: number }>();
      for (const items of [c.small, c.large]) {
        const probes: PipelineMemoryProbe[] = [];
        for (let round = 0; round < rounds; round++) {
          try {
            probes.push(await probe(c, items, threads));
          } catch (error) {
            log(
              `  ${c.label} × ${items}: child failed (${(error as Error).message.split('\n')[0]})`,
            );
          }
        }
        if (probes.length === 0) continue;
        const peak = spreadOf(probes.map((p) => p.peakRssMiB));
        const midRun = spreadOf(probes.map((p) => p.midRunHeapMiB)).median;
        medians.set(items, { rss: peak.median, heap: midRun });
        const ms = spreadOf(probes.map((p) => p.ms)).median;
        rows.push({
          label: c.label,
          group: `${count(items)} items`,
          value: peak,
          extra: {
            'sampled peak (MiB)': spreadOf(probes.map((p) => p.sampledPeakMiB)).median,
            'heap, mid-run GC (MiB)': midRun,
            'heap after run + GC (MiB)': spreadOf(probes.map((p) => p.retainedHeapMiB)).median,
            'stream (ms)': ms,
            'µs per item': (ms * 1_000) / items,
          },
        });
      }
      const small = medians.get(c.small);
      const large = medians.get(c.large);
      for (const row of rows.filter((r) => r.label === c.label)) {
        if (small) row.extra!['× small run'] = row.value.median / small.rss;
      }
      const detail = 'Ratio of medians, one fresh process per run.';
      if (!c.judged) continue;
      judged.push(
        judge(rss, large?.rss, small?.rss, `${detail} Peak RSS is VmHWM, worker threads included.`),
        judge(
          heap,
          large?.heap,
          small?.heap,
          `${detail} Main-thread heapUsed after a full GC forced mid-run (60 % of items through).`,
        ),
      );
    }
    return {
      metric: { name: 'peak RSS', unit: 'MiB', better: 'lower' },
      rows,
      targets: judged,
      notes: [
        `source → map(n × 2) → filter(n % 3 ≠ 0) → cpu('noop', { batch: 256 }) → tap(sum) → run(), default buffers; ${rounds} process(es) per size; ${threads} thread(s). The sum is checked in the child.`,
        'Peak RSS includes start-up (tsx, module loading, the worker), which both sizes pay. `heap, mid-run GC` is the main-thread heap after a full GC forced while 40 % of the items are still to come: flat means the run keeps nothing per item. `heap after run + GC` is what is left once it ended.',
        'The "semi-space ≤ 2 MiB" rows run the same generator with `--max-semi-space-size=2` (workers inherit it): what remains of the RSS growth once V8 may not grow its young generation. The targets are judged on the default rows.',
        'The async generator runs at 1,000,000 items (10x the small run), not 10,000,000: it is pulled one item per await and would take minutes.',
      ],
    };
  },
};
