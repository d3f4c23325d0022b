// The test's side of fixtures/tasks.ts `hold`: a gate directory, the marks the task leaves in
// it, and the file that opens it. Meets on fs.watch, never on sleeps.
import { mkdtempSync, readdirSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Gate {
  readonly dir: string;
  /** Resolves with the pid of the process that started `hold` with `tag` (the first one seen). */
  started(tag: string): Promise<number>;
  /** Pids of every process that started `hold` with `tag` so far. */
  startedBy(tag: string): number[];
  open(): void;
  remove(): void;
}

export function makeGate(): Gate {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-gate-'));
  const startedBy = (tag: string) =>
    readdirSync(dir)
      .filter((name) => name.startsWith(`started-${tag}-`))
      .map((name) => Number(name.slice(`started-${tag}-`.length)));
  return {
    dir,
    startedBy,
    started(tag) {
      return new Promise((resolve) => {
        const check = () => {
          const [pid] = startedBy(tag);
          if (pid === undefined) return;
          watcher.close();
          resolve(pid);
        };
        // Watch first, then look: a mark written between the two is seen by the look.
        const watcher = watch(dir, check);
        check();
      });
    },
    open() {
      writeFileSync(join(dir, 'open'), '');
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
