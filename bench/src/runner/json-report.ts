/**
 * The machine-readable record of a run: environment plus every scenario's rows and targets,
 * written to `bench/results/<timestamp>.json`. Comparing two runs means comparing ratios in
 * two of these files, never absolute times from different machines.
 *
 * @module
 */
import { writeFile } from 'node:fs/promises';
import type { Environment } from './environment.ts';
import type { ScenarioResult } from './result.ts';

export interface RunRecord {
  /** Bumped when the shape changes, so old files can still be read. */
  schema: 1;
  environment: Environment;
  scenarios: ScenarioResult[];
  /** Scenarios that threw, with the message: they are reported, never silently dropped. */
  failures: { scenario: string; error: string }[];
}

export async function writeJsonReport(file: URL, record: RunRecord): Promise<void> {
  await writeFile(file, `${JSON.stringify(record, null, 2)}\n`);
}
