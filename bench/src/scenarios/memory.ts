/**
 * memory: a 1,000,000-item streaming run against a 10,000-item one. Bounded buffers mean the
 * peak RSS should not grow with the input; the ratio of the two peaks says whether it does,
 * and the main-thread heap after a full GC says whether anything is held. Tandem (256 items
 * per message) is compared with bare postMessage sending the same messages; bare postMessage
 * with one message per item is shown apart, since it sends 256 times as many.
 * Each measurement is a fresh child process (see `memory-child.ts`), the honest way to get a
 * peak: nothing left over from earlier scenarios, and the kernel's own high-water mark.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Row } from '../runner/result.ts';
import type { Scenario } from '../runner/scenario.ts';
import { spreadOf } from '../runner/spread.ts';
import { judgeTandem } from '../runner/target.ts';
import type { MemoryProbe } from './memory-child.ts';

const run = promisify(execFile);
const child = fileURLToPath(new URL('memory-child.ts', import.meta.url));

const target = {
  statement: 'tandem peak RSS at 1M items ≤ 1.2 × peak RSS at 10k items',
  comparison: '<=' as const,
  limit: 1.2,
};

/** A measured case: a driver of `memory-child.ts`, and V8 flags for its process (workers inherit them). */
interface MemoryCase {
  label: string;
  peer: string;
  v8Flags: string[];
}

const labels = {
  tandem: 'tandem.map, 256 per message',
  rawBatched: 'raw postMessage, 256 per message',
  raw: 'raw postMessage, 1 per message',
  inline: 'inline',
};

/**
 * The same tandem run with V8's young generation capped: it shows how much of the growth is V8
 * sizing its nursery to the allocation rate (a speed choice V8 makes), not memory held.
 */
const cappedNursery: MemoryCase = {
  label: 'tandem.map, 256 per message, semi-space ≤ 2 MiB',
  peer: 'tandem',
  v8Flags: ['--max-semi-space-size=2'],
};

async function probe(
  { peer, v8Flags }: MemoryCase,
  items: number,
  threads: number,
): Promise<MemoryProbe> {
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', ...v8Flags, '--import', 'tsx', child, peer, String(items), String(threads)],
    {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      maxBuffer: 2 ** 20,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as MemoryProbe;
}

export const memory: Scenario = {
  name: 'memory',
  title: 'peak RSS of a streaming run: 1,000,000 items vs 10,000',
  async run({ quick, threads, tandemUnavailable, log }) {
    const [small, large] = quick ? [1_000, 20_000] : [10_000, 1_000_000];
    const rounds = quick ? 1 : 3;
    const plain = (label: string, peer: string): MemoryCase => ({ label, peer, v8Flags: [] });
    const cases = [
      ...(tandemUnavailable ? [] : [plain(labels.tandem, 'tandem'), cappedNursery]),
      plain(labels.rawBatched, 'raw batched'),
      plain(labels.raw, 'raw postMessage'),
      plain(labels.inline, 'inline'),
    ];
    const rows: Row[] = [];
    const peaks = new Map<string, number>();
    const heaps = new Map<string, number>();
    for (const each of cases) {
      for (const items of [small, large]) {
        const probes: MemoryProbe[] = [];
        for (let round = 0; round < rounds; round++) {
          try {
            probes.push(await probe(each, items, threads));
          } catch (error) {
            log(
              `  ${each.label} × ${items}: child failed (${(error as Error).message.split('\n')[0]})`,
            );
          }
        }
        if (probes.length === 0) continue;
        const peak = spreadOf(probes.map((p) => p.peakRssMiB));
        const heap = spreadOf(probes.map((p) => p.retainedHeapMiB)).median;
        peaks.set(`${each.label}/${items}`, peak.median);
        heaps.set(`${each.label}/${items}`, heap);
        const messages = probes[0]!.messages.toLocaleString('en-US');
        rows.push({
          label: each.label,
          group: `${items.toLocaleString('en-US')} items`,
          value: peak,
          extra: {
            messages,
            'sampled peak (MiB)': spreadOf(probes.map((p) => p.sampledPeakMiB)).median,
            'heap after GC (MiB)': heap,
            'stream (ms)': spreadOf(probes.map((p) => p.ms)).median,
          },
        });
      }
    }
    for (const row of rows) {
      const items = row.group === `${small.toLocaleString('en-US')} items` ? small : large;
      const base = peaks.get(`${row.label}/${small}`);
      const baseHeap = heaps.get(`${row.label}/${small}`);
      const heap = heaps.get(`${row.label}/${items}`);
      row.extra!['RSS × small run'] = base ? row.value.median / base : '';
      row.extra!['heap × small run'] = baseHeap && heap ? heap / baseHeap : '';
    }
    return {
      metric: { name: 'peak RSS', unit: 'MiB', better: 'lower' },
      rows,
      targets: [
        judgeTandem(
          target,
          tandemUnavailable,
          peaks.get(`${labels.tandem}/${large}`),
          peaks.get(`${labels.tandem}/${small}`),
          'Ratio of median peak RSS (VmHWM), one fresh process per run.',
        ),
      ],
      notes: [
        `${small.toLocaleString('en-US')} vs ${large.toLocaleString('en-US')} no-op items, streamed in chunks of 1,024 with 4 chunks in flight; ${rounds} process(es) per size; ${threads} thread(s).`,
        `Equal message counts: \`${labels.tandem}\` (\`engine.map(…, { batch: 256 })\` per chunk) and \`${labels.rawBatched}\` send the same number of messages (the \`messages\` column); \`${labels.raw}\` sends one per item, 256 times as many, and is shown for scale, not as a comparison.`,
        'Peak RSS is the child process high-water mark (VmHWM, worker threads included), so start-up (tsx, module loading) is part of both sizes.',
        'Compare with the inline rows: part of any growth is V8 sizing its heap to the allocation rate, which happens with no pool at all. `heap after GC` is the main-thread heap still in use after a forced full GC at the end of the stream: `heap × small run` near 1 means nothing is held per item.',
        `The "${cappedNursery.label}" rows run the same stream with \`${cappedNursery.v8Flags.join(' ')}\` (workers inherit it): what remains of the growth once V8 may not grow its nursery. The target is judged on the default rows.`,
      ],
    };
  },
};
