// Whether workers really ended: the OS threads of this process (Linux's /proc), before and after.
import { readFileSync } from 'node:fs';
import { eventually } from './bound.ts';
import type { Verdict } from './judge.ts';

/** OS threads of this process (Linux), or undefined where that cannot be read. */
export function osThreads(): number | undefined {
  try {
    const match = readFileSync('/proc/self/status', 'utf8').match(/^Threads:\s+(\d+)/m);
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/** Checks that the OS threads of the process come back to `baseline` (workers ended). */
export async function judgeThreadsBack(
  verdict: Verdict,
  baseline: number | undefined,
  when: string,
) {
  if (baseline === undefined) return;
  const back = await eventually(() => (osThreads() ?? 0) <= baseline);
  verdict.expect(
    back,
    () => `${when}: ${osThreads()} OS threads, ${baseline} before (workers left running)`,
  );
}
