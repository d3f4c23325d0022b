/**
 * One timed round of the log-analytics scenario: wall time, the loop's delay p99, and the CPU
 * time of the loop and of the other threads, with the result checked (its line count, and
 * every full run's aggregate equal to the first one's, bit for bit).
 *
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { LoopDelayMonitor } from '@tandem/core';
import type { Aggregate } from '../../../examples/log-analytics/src/aggregate.ts';
import type { Row } from '../runner/result.ts';
import { rateOf, spreadOf } from '../runner/spread.ts';
import type { Contender } from '../runner/workload.ts';

/** What the rounds of one contender measured. */
export interface Measured {
  ms: number[];
  loopP99: number[];
  /** CPU ms of the main thread (the loop) and of every other thread of the process. */
  loopCpu: number[];
  otherCpu: number[];
  lines: number;
}

/**
 * CPU time so far (ms) of the main thread and of all other threads of this process (workers,
 * libuv, V8's helpers), from /proc; undefined where /proc does not exist. On a shared machine
 * wall time says little about what a run would take on idle cores; CPU time per thread
 * does: with one worker thread, the run cannot finish faster than its busiest thread.
 */
function threadCpu(): { loop: number; other: number } | undefined {
  try {
    let loop = 0;
    let other = 0;
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // After the command name: state is field 3, utime 14 and stime 15, in ticks (1/100 s).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = (Number(fields[11]) + Number(fields[12])) * 10;
      if (tid === String(process.pid)) loop += ms;
      else other += ms;
    }
    return { loop, other };
  } catch {
    return undefined;
  }
}

/** Checks each result and keeps the first full one to compare the others with. */
export class ResultCheck {
  #reference: Aggregate | undefined;
  readonly #fullLines: number;

  constructor(fullLines: number) {
    this.#fullLines = fullLines;
  }

  check(key: string, aggregate: Aggregate, expectedLines: number): void {
    if (aggregate.lines !== expectedLines) {
      throw new Error(`${key} counted ${aggregate.lines} lines, expected ${expectedLines}`);
    }
    if (expectedLines !== this.#fullLines) return;
    this.#reference ??= aggregate;
    if (!isDeepStrictEqual(aggregate, this.#reference)) throw new Error(`${key} disagrees`);
  }
}

/** A contender whose rounds are measured into `m` (cleared by `reset`, e.g. after a warm-up). */
export function measuredContender(
  key: string,
  work: () => Promise<Aggregate>,
  m: Measured,
  check: ResultCheck,
  newMonitor: (() => LoopDelayMonitor) | undefined,
): Contender<string> {
  return {
    key,
    async round() {
      const monitor = newMonitor?.();
      monitor?.start();
      const cpuBefore = threadCpu();
      const started = performance.now();
      const aggregate = await work();
      const ms = performance.now() - started;
      const cpuAfter = threadCpu();
      monitor?.stop();
      check.check(key, aggregate, m.lines);
      m.ms.push(ms);
      m.loopP99.push(monitor?.snapshot().p99 ?? Number.NaN);
      if (cpuBefore && cpuAfter) {
        m.loopCpu.push(cpuAfter.loop - cpuBefore.loop);
        m.otherCpu.push(cpuAfter.other - cpuBefore.other);
      }
      return ms;
    },
  };
}

export function emptyMeasured(lines: number): Measured {
  return { ms: [], loopP99: [], loopCpu: [], otherCpu: [], lines };
}

/** A table row: lines/s (median and spread of the rounds) and the per-line columns. */
export function measuredRow(label: string, m: Measured): Row {
  const perLine = (ms: number[]) => (spreadOf(ms).median * 1_000) / m.lines;
  return {
    label,
    value: rateOf(spreadOf(m.ms), m.lines * 1_000),
    extra: {
      lines: m.lines,
      'round (ms)': spreadOf(m.ms).median,
      'µs per line': perLine(m.ms),
      'loop p99 (ms)': spreadOf(m.loopP99).median,
      ...(m.loopCpu.length > 0
        ? {
            'loop CPU (µs/line)': perLine(m.loopCpu),
            'other threads CPU (µs/line)': perLine(m.otherCpu),
          }
        : {}),
    },
  };
}
