/**
 * web-offload: the load test of `examples/web-offload`, a fastify service with a light route
 * (`GET /users/:id`) and a CPU route (`POST /render`), started three ways — the CPU route
 * inline on the loop, through piscina directly, through Tandem — one at a time, each driven
 * by autocannon generators in processes of their own:
 *
 * - A, saturation: `/render` flat out on fixed connections while a rate-mode generator
 *   measures the light route; the light route's p99 and the CPU route's throughput.
 * - B, hang-ups: clients that post a large document and hang up mid-render; the CPU the
 *   service spends afterwards, and Tandem's own count of it (`/metrics`).
 * - C, overload (Tandem): far more connections than the pool can serve; 503s with
 *   `Retry-After`, requests never answered, and the service's RSS.
 *
 * @module
 */
import type { Scenario } from '../runner/scenario.ts';
import { type HangUpSizes, type HangUps, hangUps } from './web-offload-hang-up.ts';
import { startGenerator } from './web-offload-load.ts';
import {
  type Generators,
  type Overload,
  type OverloadSizes,
  overload,
  type Saturation,
  type SaturationSizes,
  saturate,
} from './web-offload-phases.ts';
import { ChildProcesses } from './web-offload-processes.ts';
import { rowsAndTargets } from './web-offload-report.ts';
import { type CpuMode, cpuMs, startService } from './web-offload-service.ts';

export interface Sizes {
  saturation: SaturationSizes;
  hangUp: HangUpSizes;
  overload: OverloadSizes;
}

function sizesFor(quick: boolean, threads: number): Sizes {
  // A few ms of marked on this kind of machine (the full-render column of B says how much per KiB).
  const renderBytes = 8 * 1_024;
  return {
    saturation: {
      seconds: quick ? 2 : 10,
      leadSeconds: quick ? 0.5 : 1,
      renderBytes,
      // Enough to keep every thread fed and a few requests queued, below the pool's queue bound.
      renderConnections: 8 * threads,
      lightRate: 100,
      // autocannon's rate mode starts every connection's share of a second at once: with 10
      // connections even a bare node:http server shows ~25 ms at p99 here; with 2, ~10 ms.
      lightConnections: 2,
      warmUpRenders: quick ? 16 : 64,
      aloneSeconds: quick ? 1 : 5,
    },
    hangUp: {
      hangUps: quick ? 1 : 4,
      documentBytes: 512 * 1_024,
      hangUpAt: 1 / 3,
      warmUpRenders: 32,
      warmUpBytes: renderBytes,
    },
    overload: {
      seconds: quick ? 2 : 10,
      renderBytes,
      connections: 64 * threads,
      boundSeconds: quick ? 2 : 5,
    },
  };
}

export interface Measured {
  saturation: Map<CpuMode, Saturation>;
  hangUp: Map<CpuMode, HangUps>;
  overload: Overload | undefined;
  /** Each service's exit code after SIGTERM (143 is a graceful shutdown). */
  exits: Map<CpuMode, number | NodeJS.Signals>;
  /** What did not run, and why: printed with the notes. */
  failures: string[];
}

async function measureMode(
  children: ChildProcesses,
  generators: Promise<Generators>,
  mode: CpuMode,
  threads: number,
  sizes: Sizes,
  measured: Measured,
  log: (message: string) => void,
): Promise<void> {
  log(`  ${mode}: starting the service`);
  const service = await startService(children, mode, threads);
  try {
    const { render, light } = await generators;
    log(`  ${mode}: A, /render saturated, light route measured`);
    measured.saturation.set(mode, await saturate(service, { render, light }, sizes.saturation));
    if (cpuMs(service.pid) === undefined) {
      measured.failures.push(`${mode}: B needs /proc (Linux) to read the service's CPU time`);
    } else {
      log(`  ${mode}: B, clients hanging up mid-render`);
      measured.hangUp.set(mode, await hangUps(service, sizes.hangUp));
    }
    if (mode === 'tandem') {
      log(`  ${mode}: C, overload`);
      measured.overload = await overload(service, render, sizes.overload);
    }
  } finally {
    measured.exits.set(mode, await service.stop());
  }
}

export const webOffload: Scenario = {
  name: 'web-offload',
  title:
    'a fastify service under load: light route beside a saturated CPU route, hang-ups, overload',
  async run({ quick, threads, tandemUnavailable, log }) {
    const sizes = sizesFor(quick, threads);
    const modes: CpuMode[] = tandemUnavailable
      ? ['inline', 'piscina']
      : ['inline', 'piscina', 'tandem'];
    const measured: Measured = {
      saturation: new Map(),
      hangUp: new Map(),
      overload: undefined,
      exits: new Map(),
      failures: [],
    };
    const children = new ChildProcesses();
    try {
      // Started once, while the first service starts; each is a process of its own.
      const generators = Promise.all([startGenerator(children), startGenerator(children)]).then(
        ([render, light]) => ({ render, light }),
      );
      // Awaited in measureMode; a failure to start shows there, in every mode.
      generators.catch(() => undefined);
      for (const mode of modes) {
        try {
          await measureMode(children, generators, mode, threads, sizes, measured, log);
        } catch (error) {
          // The other modes still run; the failure is in the notes and its targets say not run.
          const message = (error as Error).message.split('\n')[0];
          log(`  ${mode}: failed (${message})`);
          measured.failures.push(`${mode}: ${message}`);
        }
      }
      const started = await generators.catch(() => undefined);
      await Promise.all([started?.render.close(), started?.light.close()]);
    } finally {
      await children.killAll();
    }
    if (measured.saturation.size === 0) {
      throw new Error(`every mode failed: ${measured.failures.join('; ')}`);
    }
    return rowsAndTargets(measured, sizes, threads, tandemUnavailable);
  },
};
