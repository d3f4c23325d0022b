// The engine as a hostile user meets it: arbitrary start and close options, CPU work inside
// scopes that are cancelled or expire (with and without an explicit signal, with the run's own
// timeout and deadline), callbacks that must run in the caller's async context, and services
// called with hostile arguments, hostile method names and the probes every library makes.
import { AsyncLocalStorage } from 'node:async_hooks';
import { getEventListeners } from 'node:events';
import { inspect, isDeepStrictEqual } from 'node:util';
import { defaultThreads, Engine, type Service, scope } from '@tandem/core';
import fc from 'fast-check';
import {
  buildOption,
  isDuration,
  numbers,
  type OptionValue,
  recipe,
} from '../../../../workers/test/fuzz/support/arbitraries.ts';
import {
  attempt,
  eventually,
  type Outcome,
  pause,
  settleWithin,
  turns,
  watch,
} from '../../../../workers/test/fuzz/support/bound.ts';
import { takeStrays } from '../../../../workers/test/fuzz/support/guard.ts';
import {
  describe,
  isEngineError,
  show,
  Verdict,
} from '../../../../workers/test/fuzz/support/judge.ts';
import { plainTasks } from '../../../../workers/test/fuzz/support/plain-tasks.ts';
import type { FuzzProperty } from '../../../../workers/test/fuzz/support/property.ts';
import {
  build,
  cloneOf,
  closeOpened,
  opened,
} from '../../../../workers/test/fuzz/support/recipes.ts';
import {
  buildStart,
  type Closable,
  closeCase,
  expectedStats,
  judgeClose,
  judgeStart,
  judgeThreadsBack,
  osThreads,
  poolStartCase,
  startProblems,
  withHostile,
} from '../../../../workers/test/fuzz/support/start-options.ts';

type AnyEngine = {
  run(name: string, input: unknown, options?: unknown): Promise<unknown>;
  map(name: string, inputs: unknown, options?: unknown): Promise<unknown>;
  stats(): ReturnType<Engine['stats']>;
  close(options?: unknown): Promise<void>;
  service<Api extends object>(module: URL | string): Promise<Service<Api>>;
};

const ENGINE_KEYS = ['loopDelayResolution', 'shutdownGrace'] as const;
type SignalsCase = 'absent' | 'one' | 'both' | 'empty' | 'string' | 'unknown' | 'null' | 'numbers';

const engineExtras = fc.record({
  values: withHostile(
    fc.record(
      {
        loopDelayResolution: numbers(1, 10, 1000),
        shutdownGrace: numbers(0, 50, 2 ** 31, Number.POSITIVE_INFINITY),
      },
      { requiredKeys: [] },
    ),
    ENGINE_KEYS,
  ),
  signals: fc.oneof(
    { weight: 6, arbitrary: fc.constant<SignalsCase>('absent') },
    fc.constantFrom<SignalsCase>('one', 'both', 'empty', 'string', 'unknown', 'null', 'numbers'),
  ),
});

function engineProblems(
  values: Partial<Record<(typeof ENGINE_KEYS)[number], OptionValue>>,
  signals: SignalsCase,
) {
  const resolution = values.loopDelayResolution;
  return [
    resolution !== undefined &&
      !(resolution.k === 'number' && Number.isInteger(resolution.v) && resolution.v >= 1) &&
      'loopDelayResolution is not an integer >= 1',
    !isDuration(values.shutdownGrace) && 'shutdownGrace is not a duration',
    ['string', 'unknown', 'null', 'numbers'].includes(signals) && `shutdownSignals is ${signals}`,
  ].filter((p): p is string => p !== false);
}

const signalsValue = {
  absent: undefined,
  one: ['SIGINT'],
  both: ['SIGINT', 'SIGTERM'],
  empty: [],
  string: 'SIGINT',
  unknown: ['SIGNOPE'],
  null: null,
  numbers: [2],
};

const startProperty: FuzzProperty = {
  name: 'Engine.start/close options: invalid refused leaving no thread, valid honoured, close keeps its word',
  runs: 6,
  property: fc.asyncProperty(poolStartCase, engineExtras, closeCase, async (c, extras, close) => {
    const verdict = new Verdict();
    const baseline = osThreads();
    const sigint = process.listenerCount('SIGINT');
    const extra: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(extras.values))
      if (value) extra[key] = buildOption(value);
    if (extras.signals !== 'absent') extra.shutdownSignals = signalsValue[extras.signals];
    const problems = [...startProblems(c), ...engineProblems(extras.values, extras.signals)];
    // A resolution past 2³¹ ms may be refused (Node's timers cannot keep it) or kept.
    const resolution = extras.values.loopDelayResolution;
    const unsure =
      resolution?.k === 'number' && resolution.v > 2 ** 31 - 1 && Number.isInteger(resolution.v);
    const outcome = await attempt(() => Engine.start(buildStart(c, plainTasks, extra) as never));
    const started =
      unsure && outcome.status === 'rejected' ? false : judgeStart(verdict, c, problems, outcome);
    if (started) {
      const engine = (outcome as { value: AnyEngine }).value;
      try {
        const want = expectedStats(c, defaultThreads());
        const { size, concurrentTasksPerWorker, maxQueue, onFull, grace } = engine.stats().pool;
        const shown = { size, concurrentTasksPerWorker, maxQueue, onFull, grace };
        verdict.expect(
          JSON.stringify(shown) === JSON.stringify(want),
          () =>
            `stats().pool shows ${JSON.stringify(shown)}, the options were ${JSON.stringify(want)}`,
        );
        if (problems.length === 0) await judgeClose(verdict, engine as Closable, close);
      } finally {
        await settleWithin(engine.close());
      }
      verdict.expect(
        process.listenerCount('SIGINT') === sigint,
        () =>
          `after close, ${process.listenerCount('SIGINT') - sigint} SIGINT handlers are left installed`,
      );
    }
    await judgeThreadsBack(verdict, baseline, started ? 'after close()' : 'after a failed start');
    await turns();
    for (const stray of takeStrays()) verdict.fail(`in the process: ${stray}`);
    verdict.done();
  }),
};

let shared: Promise<AnyEngine> | undefined;
function sharedEngine(): Promise<AnyEngine> {
  shared ??= Engine.start({
    tasks: plainTasks,
    threads: 2,
    execArgv: [],
    grace: 100,
  }) as Promise<never>;
  return shared;
}

let service: Promise<Service<Record<string, (...args: unknown[]) => unknown>>> | undefined;
function sharedService() {
  service ??= sharedEngine().then((engine) =>
    engine.service(new URL('../fixtures/echo-service.ts', import.meta.url)),
  );
  return service;
}

export async function teardown(): Promise<void> {
  const engine = shared;
  shared = undefined;
  service = undefined;
  if (engine) await settleWithin((await engine).close());
}

/** A task that runs until its signal aborts (see the `act` task of the fixture). */
function hang(cells: Int32Array, index: number) {
  return { cells, index, kind: 'hang', steps: 0 };
}

type End = 'cancel' | 'deadline' | 'ownAbort' | 'none';
const limit = fc.option(fc.constantFrom(10, 60_000, 2 ** 31, Number.POSITIVE_INFINITY), {
  nil: undefined,
});

const scopedProperty: FuzzProperty = {
  name: 'engine.run / map in a scope: the scope cancel and deadline, the own signal and both limits all hold',
  runs: 12,
  property: fc.asyncProperty(
    fc.constantFrom('run', 'map'),
    fc.constantFrom('none', 'own'),
    fc.constantFrom<End>('cancel', 'deadline', 'ownAbort', 'none'),
    limit,
    limit,
    async (call, own, end, timeout, deadline) => {
      const engine = await sharedEngine();
      const verdict = new Verdict();
      const cells = new Int32Array(new SharedArrayBuffer(16));
      const controller = own === 'own' ? new AbortController() : undefined;
      const cancel = new Error('the scope was cancelled');
      const ownReason = new Error('the own signal aborted');
      const options: Record<string, unknown> = {};
      if (controller) options.signal = controller.signal;
      if (deadline !== undefined) options.deadline = deadline;
      if (timeout !== undefined && call === 'run') options.timeout = timeout;
      const short = deadline === 10 || (timeout === 10 && call === 'run');
      const scoped = await settleWithin(
        scope({ ...(end === 'deadline' ? { timeout: 20 } : {}) }, async (s) => {
          const work = watch(() =>
            call === 'run'
              ? engine.run('act', hang(cells, 0), options)
              : engine.map('act', [hang(cells, 0), hang(cells, 1)], options),
          );
          await pause(30);
          if (end === 'cancel') s.cancel(cancel);
          if (end === 'ownAbort') controller?.abort(ownReason);
          let outcome = await work.wait(
            end === 'none' || (end === 'ownAbort' && !controller) ? 200 : undefined,
          );
          const expected = (o: Outcome) => {
            const reason = o.status === 'rejected' ? o.reason : undefined;
            const timedOut = short && isEngineError(reason, 'ERR_TANDEM_TASK_TIMEOUT');
            if (end === 'cancel') return reason === cancel || timedOut;
            if (end === 'deadline')
              return (
                isEngineError(reason, 'ERR_TANDEM_CANCELLED', 'ERR_TANDEM_TIMEOUT') || timedOut
              );
            if (end === 'ownAbort' && controller) return reason === ownReason || timedOut;
            return short ? timedOut : o.status === 'unsettled';
          };
          verdict.expect(
            expected(outcome),
            () =>
              `${call} (own signal ${own}, timeout ${timeout}, deadline ${deadline}), ended by ${end}: ${show(outcome)}`,
          );
          if (outcome.status === 'unsettled') {
            s.cancel(cancel);
            outcome = await work.wait();
            verdict.expect(
              outcome.status === 'rejected',
              () => `after the scope's cancel, ${call} ${show(outcome)}`,
            );
          }
        }),
      );
      verdict.expect(
        scoped.status !== 'unsettled' &&
          (scoped.status === 'fulfilled' ||
            isEngineError((scoped as { reason: unknown }).reason, 'ERR_TANDEM_TIMEOUT')),
        () => `the scope ${show(scoped)}`,
      );
      controller?.abort(new Error('cleaning up'));
      const idle = await eventually(() => {
        const s = engine.stats().pool;
        return s.queued === 0 && s.running === 0 && s.inWorkers === 0;
      });
      verdict.expect(
        idle,
        () => `the pool did not return to idle: ${JSON.stringify(engine.stats().pool)}`,
      );
      if (controller) {
        const left = getEventListeners(controller.signal, 'abort').length;
        verdict.expect(left === 0, `${left} abort listeners left on the caller's signal`);
      }
      await turns();
      for (const stray of takeStrays()) verdict.fail(`in the process: ${stray}`);
      verdict.done();
    },
  ),
};

const contextProperty: FuzzProperty = {
  name: "callbacks (onProgress of run and map) run in the caller's async context",
  runs: 6,
  property: fc.asyncProperty(
    fc.constantFrom('run', 'map'),
    fc.integer({ min: 1, max: 3 }),
    fc.nat(),
    async (call, steps, id) => {
      const engine = await sharedEngine();
      const verdict = new Verdict();
      const als = new AsyncLocalStorage<number>();
      const seen: unknown[] = [];
      const cells = new Int32Array(new SharedArrayBuffer(16));
      const input = (index: number) => ({ cells, index, kind: 'progress', steps });
      const outcome = await als.run(id, () =>
        attempt(() =>
          call === 'run'
            ? engine.run('act', input(0), { onProgress: () => seen.push(als.getStore()) })
            : engine.map('act', [input(0), input(1)], {
                onProgress: () => seen.push(als.getStore()),
              }),
        ),
      );
      verdict.expect(outcome.status === 'fulfilled', () => `${call} ${show(outcome)}`);
      verdict.expect(
        seen.length > 0 && seen.every((store) => store === id),
        () => `onProgress of ${call} saw contexts ${describe(seen)}, the caller's was ${id}`,
      );
      verdict.done();
    },
  ),
};

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
        if (via === 'api' && (method === 'then' || method === 'toJSON')) {
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
        verdict.expect(
          values.every((v) => v === undefined),
          () => `well-known symbols on service.api give ${describe(values)}`,
        );
      }
      await pause(20);
      for (const stray of takeStrays()) verdict.fail(`in the process: ${stray}`);
      verdict.done();
    },
  ),
};

export const properties = [
  startProperty,
  scopedProperty,
  contextProperty,
  serviceCalls,
  serviceProbes,
];
