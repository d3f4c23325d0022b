/**
 * The tests' side of the fixture's file-system gate (see ../fixtures/tasks.ts): a folder in
 * which held renders announce themselves and wait for `open`. Waits on fs.watch events, not
 * sleeps.
 */
import { mkdtemp, readdir, rm, watch, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export interface FileGate {
  readonly dir: string;
  /** The markdown of a render that holds until the gate opens (cooperative). */
  readonly hold: string;
  /** The markdown of a render that ignores cancellation until its worker is terminated. */
  readonly deaf: string;
  /** Resolves once `count` held renders have started. */
  started(count: number): Promise<void>;
  open(): Promise<void>;
}

export async function fileGate(t: TestContext): Promise<FileGate> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-web-gate-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const count = async () => (await readdir(dir)).filter((f) => f.startsWith('started-')).length;
  return {
    dir,
    hold: `hold:${dir}`,
    deaf: `deaf:${dir}`,
    async started(wanted) {
      // Listen first, then look: a start between the two is seen either way.
      const stop = new AbortController();
      const events = watch(dir, { signal: stop.signal })[Symbol.asyncIterator]();
      try {
        while ((await count()) < wanted) await events.next();
      } finally {
        stop.abort();
      }
    },
    open: () => writeFile(join(dir, 'open'), ''),
  };
}
