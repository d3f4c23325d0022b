// The entry of a fuzz child process: `node --import tsx suite.ts <property module URL>…`.
// Each module exports `properties` (and may export `teardown`); they run one after another,
// each printing its report; then the process must end by itself (nothing left running).
import './guard.ts';
import { type FuzzProperty, PLAN_PREFIX, REPORT_PREFIX, runProperty } from './property.ts';
import { seed } from './settings.ts';

interface PropertyModule {
  properties: FuzzProperty[];
  teardown?: () => Promise<void>;
}

let failed = false;
const modules: PropertyModule[] = [];
for (const url of process.argv.slice(2)) modules.push((await import(url)) as PropertyModule);
const planned = modules.reduce((sum, module) => sum + module.properties.length, 0);
process.stdout.write(`${PLAN_PREFIX}${planned}\n`);
for (const module of modules) {
  for (const property of module.properties) {
    const report = await runProperty(property);
    if (!report.ok) failed = true;
  }
}
for (const module of modules) await module.teardown?.();
process.exitCode = failed ? 1 : 0;

// Whatever the properties opened has been closed: if the process does not end soon, something
// (a worker, a timer, a port) was left running. Reported as a property of its own.
const lingering = setTimeout(() => {
  const report = {
    name: 'the process ends by itself once every engine and pool is closed',
    ok: false,
    seed,
    runs: 1,
    ran: 1,
    interrupted: false,
    message: `still alive 5 s after the last property, held by: ${process.getActiveResourcesInfo().join(', ')}`,
  };
  process.stdout.write(`${REPORT_PREFIX}${JSON.stringify(report)}\n`);
  process.exit(1);
}, 5_000);
lingering.unref();
