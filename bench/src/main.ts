/**
 * `pnpm bench [scenario…] [--quick] [--threads N]`: runs the scenarios, prints a markdown table
 * per scenario on stdout (progress goes to stderr), and writes `results/<timestamp>.json` and
 * `results/<timestamp>.html`. Exits 1 when a scenario throws; a missed target is a result, not
 * a failure, so it does not change the exit code.
 *
 * @module
 */
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { tandemUnavailable } from './peers/tandem.ts';
import { captureEnvironment, describeEnvironment } from './runner/environment.ts';
import { writeHtmlReport } from './runner/html-report.ts';
import { type RunRecord, writeJsonReport } from './runner/json-report.ts';
import { scenarioMarkdown, targetLine } from './runner/markdown-table.ts';
import type { Scenario, ScenarioContext } from './runner/scenario.ts';
import { unjudgedForQuickRun } from './runner/target.ts';
import { allScenarios } from './scenarios/all-scenarios.ts';

const usage = `Usage: pnpm bench [scenario…] [--quick] [--threads N]
Scenarios: ${allScenarios.map((s) => s.name).join(', ')}`;

function parseCommandLine(): { scenarios: Scenario[]; quick: boolean; threads: number } {
  const { values, positionals } = parseArgs({
    // pnpm forwards a literal `--` when called as `pnpm bench -- --quick`; skip it.
    args: process.argv.slice(2).filter((arg) => arg !== '--'),
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      threads: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const unknown = positionals.filter((name) => !allScenarios.some((s) => s.name === name));
  if (unknown.length > 0) throw new RangeError(`Unknown scenario ${unknown.join(', ')}\n${usage}`);
  const threads = values.threads === undefined ? defaultThreads() : Number(values.threads);
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`Expected --threads >= 1, got ${values.threads}`);
  }
  const scenarios =
    positionals.length === 0
      ? [...allScenarios]
      : allScenarios.filter((s) => positionals.includes(s.name));
  return { scenarios, quick: values.quick, threads };
}

/** Tandem's own default, given to every pool: one core left for the event loop. */
function defaultThreads(): number {
  return Math.max(1, os.availableParallelism() - 1);
}

/** Runs each scenario, printing its table; a scenario that throws is recorded and printed. */
async function runScenarios(
  scenarios: readonly Scenario[],
  context: ScenarioContext,
  record: RunRecord,
): Promise<void> {
  for (const scenario of scenarios) {
    context.log(`${scenario.name}: running${context.quick ? ' (quick)' : ''}…`);
    const start = performance.now();
    try {
      const result = await scenario.run(context);
      const elapsedMs = performance.now() - start;
      const targets = context.quick ? result.targets.map(unjudgedForQuickRun) : result.targets;
      const full = { name: scenario.name, title: scenario.title, ...result, targets, elapsedMs };
      record.scenarios.push(full);
      console.log(scenarioMarkdown(full));
    } catch (error) {
      const message = (error as Error).stack ?? String(error);
      record.failures.push({ scenario: scenario.name, error: message });
      console.log(`### ${scenario.name} — FAILED\n\n\`\`\`\n${message}\n\`\`\`\n`);
    }
  }
}

/** Every target of the run in one list, so a reader never has to hunt for a missed one. */
function printTargets(record: RunRecord): void {
  console.log('## Targets\n');
  if (record.environment.quick) {
    console.log(
      '> Quick run: the sizes are too small for these ratios to mean anything, so no target is judged.\n',
    );
  }
  for (const scenario of record.scenarios) {
    for (const target of scenario.targets) console.log(targetLine(target));
  }
  for (const { scenario } of record.failures) console.log(`- **FAILED** ${scenario}: see above.`);
}

async function writeReports(record: RunRecord): Promise<void> {
  const results = new URL('../results/', import.meta.url);
  await mkdir(results, { recursive: true });
  const stamp = record.environment.startedAt.replaceAll(':', '-').replace(/\.\d+Z$/, 'Z');
  const json = new URL(`${stamp}.json`, results);
  const html = new URL(`${stamp}.html`, results);
  await writeJsonReport(json, record);
  await writeHtmlReport(html, record);
  console.log(`\nWrote ${json.pathname}\nWrote ${html.pathname}`);
}

async function main(): Promise<void> {
  let options: ReturnType<typeof parseCommandLine>;
  try {
    options = parseCommandLine();
  } catch (error) {
    // A usage mistake gets the message and the usage, not a stack trace.
    console.error((error as Error).message);
    process.exitCode = 2;
    return;
  }
  const { scenarios, quick, threads } = options;
  const environment = captureEnvironment(threads, quick);
  const context: ScenarioContext = {
    quick,
    threads,
    cores: environment.cores,
    tandemUnavailable: await tandemUnavailable(),
    log: (message) => process.stderr.write(`${message}\n`),
  };
  console.log(`# Tandem benchmarks\n\n${describeEnvironment(environment)}\n`);
  if (context.tandemUnavailable) {
    console.log(`> tandem rows not run: ${context.tandemUnavailable}\n`);
  }
  const record: RunRecord = { schema: 1, environment, scenarios: [], failures: [] };
  await runScenarios(scenarios, context, record);
  printTargets(record);
  await writeReports(record);
  if (record.failures.length > 0) process.exitCode = 1;
}

await main();
