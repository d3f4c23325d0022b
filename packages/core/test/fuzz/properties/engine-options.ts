// Engine.start and engine.close with arbitrary options: invalid ones refused with a code
// before anything starts (no thread left behind), valid ones honoured and shown in stats(),
// close keeping its word (a refused close changes nothing; a long or Infinity one waits).
import { defaultThreads, Engine } from '@tandem/core';
import fc from 'fast-check';
import {
  buildOption,
  isDuration,
  numbers,
  type OptionValue,
} from '../../../../workers/test/fuzz/support/arbitraries.ts';
import { attempt, settleWithin, turns } from '../../../../workers/test/fuzz/support/bound.ts';
import {
  type Closable,
  closeCase,
  judgeClose,
} from '../../../../workers/test/fuzz/support/close-options.ts';
import { takeStrays } from '../../../../workers/test/fuzz/support/guard.ts';
import { Verdict } from '../../../../workers/test/fuzz/support/judge.ts';
import { judgeThreadsBack, osThreads } from '../../../../workers/test/fuzz/support/os-threads.ts';
import { plainTasks } from '../../../../workers/test/fuzz/support/plain-tasks.ts';
import type { FuzzProperty } from '../../../../workers/test/fuzz/support/property.ts';
import {
  buildStart,
  expectedStats,
  judgeStart,
  poolStartCase,
  startProblems,
  withHostile,
} from '../../../../workers/test/fuzz/support/start-options.ts';
import type { AnyEngine } from '../support/shared-engine.ts';

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

export const properties = [startProperty];
