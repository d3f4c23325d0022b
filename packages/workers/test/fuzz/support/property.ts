// One fuzz property as a child process runs it: fast-check with this process's seed, runs and
// time limit, and one line of JSON on stdout saying how it went (read by `child.ts`).
import fc from 'fast-check';
import { runsFor, seed, timeLimit } from './settings.ts';

/** A named property and its default number of runs in `pnpm test`. */
export interface FuzzProperty {
  name: string;
  runs: number;
  property: fc.IAsyncPropertyWithHooks<any> | fc.IAsyncProperty<any>;
}

/** What a child reports per property (the line starts with {@link REPORT_PREFIX}). */
export interface PropertyReport {
  name: string;
  ok: boolean;
  seed: number;
  runs: number;
  ran: number;
  interrupted: boolean;
  message: string;
}

export const REPORT_PREFIX = 'FUZZ-REPORT ';
/** The first line of a child: how many properties it will report. */
export const PLAN_PREFIX = 'FUZZ-PLAN ';

/** Runs `p` and prints its report; never throws. */
export async function runProperty(p: FuzzProperty): Promise<PropertyReport> {
  const runs = runsFor(p.runs);
  process.stderr.write(`fuzz ${p.name}: seed ${seed}, ${runs} runs\n`);
  let report: PropertyReport;
  try {
    const details = await fc.check(p.property, {
      seed,
      numRuns: runs,
      plugins: [fc.interruptAfterTimeLimit(timeLimit)],
    });
    report = {
      name: p.name,
      ok: !details.failed,
      seed,
      runs,
      ran: details.numRuns,
      interrupted: details.interrupted,
      message: details.failed ? failureMessage(details) : '',
    };
  } catch (error) {
    report = {
      name: p.name,
      ok: false,
      seed,
      runs,
      ran: 0,
      interrupted: false,
      message: `the property itself threw: ${error instanceof Error ? error.stack : String(error)}`,
    };
  }
  process.stdout.write(`${REPORT_PREFIX}${JSON.stringify(report)}\n`);
  return report;
}

function failureMessage(details: fc.RunDetails<unknown>): string {
  const summary = fc.defaultReportMessage(details) ?? 'failed';
  const error = details.errorInstance;
  const why = error instanceof Error ? error.message : error === undefined ? '' : String(error);
  return `${summary}\nWhat broke:\n  ${why}`;
}
