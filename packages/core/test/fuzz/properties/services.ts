// Services as a hostile user meets them: hostile arguments and method names, and the probes
// every library makes on an object (await, Promise.resolve, JSON.stringify, inspect, symbols).
import { inspect, isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { recipe } from '../../../../workers/test/fuzz/support/arbitraries.ts';
import { attempt, pause, turns } from '../../../../workers/test/fuzz/support/bound.ts';
import { takeStrays } from '../../../../workers/test/fuzz/support/guard.ts';
import {
  describe,
  isEngineError,
  show,
  Verdict,
} from '../../../../workers/test/fuzz/support/judge.ts';
import type { FuzzProperty } from '../../../../workers/test/fuzz/support/property.ts';
import {
  build,
  cloneOf,
  closeOpened,
  opened,
} from '../../../../workers/test/fuzz/support/recipes.ts';

import { sharedService, teardown } from '../support/shared-engine.ts';

const METHODS = [
  'echo',
  'later',
  'fail',
  'then',
  'toJSON',
  'constructor',
  '__proto__',
  'valueOf',
  'hasOwnProperty',
  'nope',
  '',
];
const REAL = ['echo', 'later', 'fail'];
/** Names `service.api` answers with undefined: what tools probe, and Object.prototype's. */
const PROBES = new Set(['then', 'toJSON', 'constructor', '__proto__', 'valueOf', 'hasOwnProperty']);

const serviceCalls: FuzzProperty = {
  name: 'service calls: hostile arguments and method names settle, coded, and the service lives on',
  runs: 30,
  property: fc.asyncProperty(
    recipe,
    fc.constantFrom(...METHODS),
    fc.constantFrom('call', 'api'),
    async (r, method, via) => {
      const svc = await sharedService();
      const verdict = new Verdict();
      const open = opened();
      try {
        const value = build(r, open);
        if (via === 'api' && PROBES.has(method)) {
          // Probed names read as undefined on service.api (call them through call()).
          verdict.expect(
            svc.api[method] === undefined,
            () =>
              `service.api.${method} is ${describe(svc.api[method])}: a probe, not a remote method`,
          );
        } else {
          const outcome = await attempt(() =>
            via === 'call'
              ? svc.call(method as never, [value] as never)
              : (svc.api[method] as (v: unknown) => Promise<unknown>)(value),
          );
          const reference = cloneOf(r);
          const reason = outcome.status === 'rejected' ? outcome.reason : undefined;
          if (!reference.ok) {
            verdict.expect(
              isEngineError(reason),
              () => `${method}(${describe(reference.error)}) ${show(outcome)}, not a coded error`,
            );
          } else if (method === 'echo' || method === 'later') {
            verdict.expect(
              outcome.status === 'fulfilled' && isDeepStrictEqual(outcome.value, reference.value),
              () => `${method}(${describe(reference.value)}) ${show(outcome)}`,
            );
          } else if (method === 'fail') {
            verdict.expect(
              (reason as { code?: unknown })?.code === 'E_SERVICE',
              () => `fail() ${show(outcome)}`,
            );
          } else {
            verdict.expect(
              !REAL.includes(method) && (outcome.status === 'fulfilled' || isEngineError(reason)),
              () =>
                `the unknown method ${JSON.stringify(method)} ${show(outcome)}, not a coded error`,
            );
          }
        }
        const alive = await attempt(() => svc.api.echo!('alive'));
        verdict.expect(
          alive.status === 'fulfilled' && alive.value === 'alive',
          () => `afterwards the service ${show(alive)}`,
        );
      } finally {
        closeOpened(open);
      }
      await turns();
      for (const stray of takeStrays()) verdict.fail(`in the process: ${stray}`);
      verdict.done();
    },
  ),
};

type Probe = 'await' | 'resolve' | 'json' | 'inspect' | 'symbols';
const serviceProbes: FuzzProperty = {
  name: 'service.api under the probes libraries make: await, Promise.resolve, JSON.stringify, inspect, symbols',
  runs: 5,
  property: fc.asyncProperty(
    fc.constantFrom<Probe>('await', 'resolve', 'json', 'inspect', 'symbols'),
    async (probe) => {
      const svc = await sharedService();
      const verdict = new Verdict();
      const api = svc.api as unknown as Record<PropertyKey, unknown>;
      const outcome = await attempt(async () => {
        switch (probe) {
          case 'await':
            return (async () => svc.api)();
          case 'resolve':
            return Promise.resolve(svc.api);
          case 'json':
            return JSON.stringify(svc.api);
          case 'inspect':
            return inspect(svc.api);
          case 'symbols':
            return [
              Symbol.toPrimitive,
              Symbol.iterator,
              Symbol.asyncIterator,
              inspect.custom,
              Symbol.toStringTag,
            ].map((s) => api[s]);
        }
      });
      verdict.expect(
        outcome.status === 'fulfilled',
        () => `${probe} on service.api ${show(outcome)}`,
      );
      if (probe === 'await' || probe === 'resolve') {
        verdict.expect(
          outcome.status === 'fulfilled' && outcome.value === svc.api,
          `${probe}: service.api is a thenable`,
        );
      }
      if (probe === 'symbols') {
        const values = (outcome as { value?: unknown[] }).value ?? [];
        // Iteration must not be offered; String(), inspect and toStringTag may answer
        // locally (they never reach the service: the probe count checks that elsewhere).
        verdict.expect(
          values[1] === undefined && values[2] === undefined,
          () => `well-known symbols on service.api give ${describe(values)}`,
        );
      }
      await pause(20);
      for (const stray of takeStrays()) verdict.fail(`in the process: ${stray}`);
      verdict.done();
    },
  ),
};

export const properties = [serviceCalls, serviceProbes];
export { teardown };
