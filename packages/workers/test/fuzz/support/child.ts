// The test side of a fuzz child: spawns `suite.ts` with the property modules under a timeout
// (a case may crash or hang the process it runs in) and turns each report into a subtest.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import { PLAN_PREFIX, type PropertyReport, REPORT_PREFIX } from './property.ts';
import { bound, seed, timeLimit } from './settings.ts';

const suite = new URL('./suite.ts', import.meta.url);

/** Runs the properties of `modules` in a child process; one subtest per property. */
export async function fuzzInChild(t: TestContext, modules: URL[]): Promise<void> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', suite.pathname, ...modules.map((m) => m.href)],
    { stdio: ['ignore', 'pipe', 'pipe'], env: process.env },
  );
  let stdout = '';
  let stderr = '';
  let planned: number | undefined;
  let killedAfter: number | undefined;
  const kill = (ms: number) =>
    setTimeout(() => {
      killedAfter = ms;
      child.kill('SIGKILL');
    }, ms);
  // Loading the modules takes seconds; then each property stops after `timeLimit`, plus the
  // run in flight (a few bounds).
  let timer = kill(60_000);
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const plan = stdout.match(new RegExp(`^${PLAN_PREFIX}(\\d+)$`, 'm'));
    if (planned === undefined && plan !== null) {
      planned = Number(plan[1]);
      clearTimeout(timer);
      timer = kill(planned * (timeLimit + 8 * bound) + 30_000);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  );
  clearTimeout(timer);

  const reports = stdout
    .split('\n')
    .filter((line) => line.startsWith(REPORT_PREFIX))
    .map((line) => JSON.parse(line.slice(REPORT_PREFIX.length)) as PropertyReport);
  for (const report of reports) {
    await t.test(report.name, (st) => {
      if (report.interrupted) st.diagnostic(`time limit: ran ${report.ran} of ${report.runs}`);
      assert.ok(
        report.ok,
        `${report.message}\n(replay: FUZZ_SEED=${report.seed} FUZZ_RUNS=${report.runs})`,
      );
    });
  }
  await t.test('the fuzz process survived and reported every property', () => {
    const how =
      killedAfter === undefined
        ? `ended with code ${code}, signal ${signal}`
        : `was killed after ${killedAfter} ms`;
    assert.ok(
      planned !== undefined &&
        reports.length >= planned &&
        signal === null &&
        killedAfter === undefined,
      `the child ${how} after ${reports.length} of ${planned ?? '?'} reports (FUZZ_SEED=${seed})\n${stderr.slice(-4000)}`,
    );
  });
}
