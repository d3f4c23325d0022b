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
  /** Resolves with the pid of the process whose `hold` with `tag` saw its signal abort. */
  aborted(tag: string): Promise<number>;
  open(): void;
  remove(): void;
}

export function makeGate(): Gate {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-gate-'));
  const marked = (mark: string) =>
    readdirSync(dir)
      .filter((name) => name.startsWith(`${mark}-`))
      .map((name) => Number(name.slice(mark.length + 1)));
  const startedBy = (tag: string) => marked(`started-${tag}`);
  const first = (mark: string) =>
    new Promise<number>((resolve) => {
      const check = () => {
        const [pid] = marked(mark);
        if (pid === undefined) return;
        watcher.close();
        resolve(pid);
      };
      // Watch first, then look: a mark written between the two is seen by the look.
      const watcher = watch(dir, check);
      check();
    });
  return {
    dir,
    startedBy,
    started: (tag) => first(`started-${tag}`),
    aborted: (tag) => first(`aborted-${tag}`),
    open() {
      writeFileSync(join(dir, 'open'), '');
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
