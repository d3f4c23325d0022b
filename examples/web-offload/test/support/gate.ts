/**
 * The tests' side of the fixture's file-system gate (see ../fixtures/tasks.ts): a folder in
 * which held renders announce themselves and wait for `open`. Waits on fs.watch events, not
 * sleeps.
 */
import { watch } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
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
      // fs.watch starts watching at once (fs/promises' watch only at the first next(): a file
      // written in between would be missed). A change seen during a look means look again.
      let changed = false;
      let wake: (() => void) | undefined;
      const watcher = watch(dir, () => {
        changed = true;
        wake?.();
      });
      try {
        for (;;) {
          changed = false;
          if ((await count()) >= wanted) return;
          if (!changed) await new Promise<void>((resolve) => (wake = resolve));
        }
      } finally {
        watcher.close();
      }
    },
    open: () => writeFile(join(dir, 'open'), ''),
  };
}
