/**
 * A one-line progress bar on a TTY stream, redrawn in place. A dozen lines of our own rather
 * than a dependency of core (cli-progress would be core's only runtime dependency besides
 * fast-json-stringify, for this one line); it draws nothing when the stream is not a TTY, so
 * logs and CI output stay clean.
 *
 * @module
 */
import type { PipelineProgress } from '../../pipeline-options.js';

const WIDTH = 20;

export class ProgressBar {
  readonly #stream: NodeJS.WriteStream;
  #drawn = false;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
  }

  get enabled(): boolean {
    return this.#stream.isTTY === true;
  }

  draw(p: PipelineProgress): void {
    if (!this.enabled) return;
    const finished = p.done + p.failed;
    const share = p.total ? Math.min(1, finished / p.total) : undefined;
    const bar =
      share === undefined
        ? ''
        : `[${'#'.repeat(Math.round(share * WIDTH)).padEnd(WIDTH, '-')}] ${(share * 100).toFixed(0).padStart(3)}% `;
    const count = p.total === undefined ? `${finished}` : `${finished}/${p.total}`;
    const eta = p.eta === undefined ? '' : ` eta ${formatMs(p.eta)}`;
    const rate = p.rate >= 10 ? p.rate.toFixed(0) : p.rate.toFixed(1);
    // About 80 columns: narrower terminals cut the end (the loop delay) rather than wrap.
    const line = `${bar}${count} | ok ${p.done} fail ${p.failed} retry ${p.retried} | ${rate}/s${eta} | p99 ${p.loop.p99.toFixed(1)}ms`;
    this.#stream.write(`\r${line.slice(0, (this.#stream.columns ?? 120) - 1)}\x1b[K`);
    this.#drawn = true;
  }

  /** Leaves the last state on its own line. */
  end(): void {
    if (this.#drawn) this.#stream.write('\n');
    this.#drawn = false;
  }
}

function formatMs(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}
