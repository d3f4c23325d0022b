// Arbitrary options for starting a pool (or an engine, which adds its own): the arbitraries,
// the model of which are valid, and the judgement of a start. Shared by the workers'
// pool-options property and core's engine-options property.
import fc from 'fast-check';
import { buildOption, isDuration, type OptionValue, optionValue } from './arbitraries.ts';
import type { Outcome } from './bound.ts';
import { isEngineError, show, VALIDATION, type Verdict } from './judge.ts';

/** Never start more than two threads: a "valid" 100 would only test the machine. */
function fewThreads(value: OptionValue): OptionValue {
  return value.k === 'number' && Number.isInteger(value.v) && value.v > 2 && value.v <= 1024
    ? { k: 'number', v: 2 }
    : value;
}

export type ResourceLimitsCase =
  | 'absent'
  | 'valid'
  | 'empty'
  | 'string'
  | 'null'
  | 'array'
  | 'unknownKey'
  | 'zero'
  | 'nan';
export type ExecArgvCase = 'none' | 'inherit' | 'flag' | 'string' | 'numbers' | 'null';
export type TasksCase = 'url' | 'href' | 'path' | 'missing' | 'number' | 'null' | 'object';
export type ContainerCase = 'object' | 'proxy' | 'null' | 'string' | 'throwingGetter';

export interface PoolStartCase {
  values: Partial<Record<PoolKey, OptionValue>>;
  resourceLimits: ResourceLimitsCase;
  execArgv: ExecArgvCase;
  tasks: TasksCase;
  container: ContainerCase;
}

const rare = <T>(common: T, ...others: T[]) =>
  fc.oneof({ weight: 12, arbitrary: fc.constant(common) }, fc.constantFrom(...others));

const POOL_KEYS = [
  'threads',
  'concurrentTasksPerWorker',
  'maxQueue',
  'onFull',
  'grace',
  'startTimeout',
  'signal',
] as const;
type PoolKey = (typeof POOL_KEYS)[number];

const num = (...values: number[]) =>
  fc.constantFrom(...values).map((v): OptionValue => ({ k: 'number', v }));
const str = (...values: string[]) =>
  fc.constantFrom(...values).map((v): OptionValue => ({ k: 'string', v }));

/** Valid values (edges included), each key absent half the time. */
const validPoolValues = fc.record(
  {
    threads: num(1, 2),
    concurrentTasksPerWorker: fc.oneof(num(1, 4, 1024), str('auto')),
    maxQueue: num(0, 1, 64, 2 ** 24),
    onFull: str('wait', 'reject'),
    grace: num(0, 50, 2 ** 31, 2 ** 53, Number.POSITIVE_INFINITY),
    startTimeout: num(0, 5, 60_000, 2 ** 31, Number.POSITIVE_INFINITY),
    signal: fc.boolean().map((aborted): OptionValue => ({ k: 'signal', aborted })),
  },
  { requiredKeys: [] },
);

/** Mostly valid options with, half the time, one key given a hostile value. */
export function withHostile<K extends string>(
  valid: fc.Arbitrary<Partial<Record<K, OptionValue>>>,
  keys: readonly K[],
): fc.Arbitrary<Partial<Record<K, OptionValue>>> {
  return fc
    .tuple(
      valid,
      fc.option(fc.tuple(fc.constantFrom(...keys), optionValue.map(fewThreads)), { freq: 2 }),
    )
    .map(([values, hostile]) =>
      hostile === null ? values : { ...values, [hostile[0]]: hostile[1] },
    );
}

export const poolStartCase: fc.Arbitrary<PoolStartCase> = fc.record({
  values: withHostile(validPoolValues, POOL_KEYS),
  resourceLimits: rare<ResourceLimitsCase>(
    'absent',
    'valid',
    'empty',
    'string',
    'null',
    'array',
    'unknownKey',
    'zero',
    'nan',
  ),
  execArgv: rare<ExecArgvCase>('none', 'inherit', 'flag', 'string', 'numbers', 'null'),
  tasks: rare<TasksCase>('url', 'href', 'path', 'missing', 'number', 'null', 'object'),
  container: rare<ContainerCase>('object', 'proxy', 'null', 'string', 'throwingGetter'),
});

export const GETTER_ERROR = new Error('thrown by an options getter');

/** Builds the options of a start case for the task module at `tasks` (plain JavaScript). */
export function buildStart(
  c: PoolStartCase,
  tasks: URL,
  extra: Record<string, unknown> = {},
): unknown {
  const options: Record<string, unknown> = { ...extra };
  for (const [key, value] of Object.entries(c.values)) {
    if (value !== undefined) options[key] = buildOption(value);
  }
  options.tasks = {
    url: tasks,
    href: tasks.href,
    path: tasks.pathname,
    missing: new URL('./no-such-module.mjs', tasks),
    number: 5,
    null: null,
    object: {},
  }[c.tasks];
  const limits = {
    absent: undefined,
    valid: { maxOldGenerationSizeMb: 512 },
    empty: {},
    string: 'x',
    null: null,
    array: [],
    unknownKey: { maxHeap: 1 },
    zero: { stackSizeMb: 0 },
    nan: { maxOldGenerationSizeMb: Number.NaN },
  }[c.resourceLimits];
  if (limits !== undefined) options.resourceLimits = limits;
  // Without execArgv, workers inherit the parent's `--import tsx`: a second per worker.
  const argv = {
    none: [],
    inherit: undefined,
    flag: ['--no-warnings'],
    string: 'x',
    numbers: [1],
    null: null,
  }[c.execArgv];
  if (c.execArgv !== 'inherit') options.execArgv = argv;
  switch (c.container) {
    case 'object':
      return options;
    case 'proxy':
      return new Proxy(options, {});
    case 'null':
      return null;
    case 'string':
      return 'options';
    case 'throwingGetter':
      return Object.defineProperty(options, 'threads', {
        enumerable: true,
        get() {
          throw GETTER_ERROR;
        },
      });
  }
}

function isInteger(value: OptionValue | undefined, min: number, max: number): boolean {
  return (
    value === undefined ||
    (value.k === 'number' && Number.isInteger(value.v) && value.v >= min && value.v <= max)
  );
}

/** Why the model refuses a start case (empty: valid). */
export function startProblems(c: PoolStartCase): string[] {
  const { values: v } = c;
  const perWorker = v.concurrentTasksPerWorker;
  return [
    !isInteger(v.threads, 1, 1024) && 'threads is not an integer in 1..1024',
    !(perWorker?.k === 'string' && perWorker.v === 'auto') &&
      !isInteger(perWorker, 1, 1024) &&
      "concurrentTasksPerWorker is not 'auto' or an integer in 1..1024",
    !isInteger(v.maxQueue, 0, 2 ** 24) && 'maxQueue is not an integer in 0..2^24',
    v.onFull !== undefined &&
      !(v.onFull.k === 'string' && (v.onFull.v === 'wait' || v.onFull.v === 'reject')) &&
      "onFull is not 'wait' or 'reject'",
    !isDuration(v.grace) && 'grace is not a duration',
    !isDuration(v.startTimeout) && 'startTimeout is not a duration',
    v.signal !== undefined && v.signal.k !== 'signal' && 'signal is not an AbortSignal',
    ['string', 'null', 'array', 'unknownKey', 'zero', 'nan'].includes(c.resourceLimits) &&
      `resourceLimits is ${c.resourceLimits}`,
    ['string', 'numbers', 'null'].includes(c.execArgv) && `execArgv is ${c.execArgv}`,
    ['number', 'null', 'object'].includes(c.tasks) && `tasks is ${c.tasks}`,
    c.container === 'null' && 'options is null',
    c.container === 'string' && 'options is a string',
  ].filter((p): p is string => p !== false);
}

/**
 * Judges how a start ended. Returns true when it started (and the caller must close it).
 * `problems` are the model's reasons to refuse the options.
 */
export function judgeStart(
  verdict: Verdict,
  c: PoolStartCase,
  problems: string[],
  outcome: Outcome,
): boolean {
  if (outcome.status === 'unsettled') {
    verdict.fail('start did not settle within the bound');
    return false;
  }
  const reason = outcome.status === 'rejected' ? outcome.reason : undefined;
  if (c.container === 'throwingGetter') {
    verdict.expect(
      outcome.status === 'rejected' &&
        (reason === GETTER_ERROR || isEngineError(reason, ...VALIDATION)),
      () => `options with a throwing getter: start ${show(outcome)}`,
    );
    return outcome.status === 'fulfilled';
  }
  if (problems.length > 0) {
    verdict.expect(
      outcome.status === 'rejected' && isEngineError(reason, ...VALIDATION),
      () => `${problems.join(', ')}: start ${show(outcome)}, not ${VALIDATION.join(' / ')}`,
    );
    return outcome.status === 'fulfilled';
  }
  const signal = c.values.signal;
  if (signal?.k === 'signal' && signal.aborted) {
    verdict.expect(
      outcome.status === 'rejected' && (reason as Error)?.message === 'aborted before the call',
      () => `start with an aborted signal ${show(outcome)}, not with signal.reason`,
    );
    return outcome.status === 'fulfilled';
  }
  if (c.tasks === 'missing') {
    verdict.expect(
      outcome.status === 'rejected' && isEngineError(reason, 'ERR_TANDEM_TASK_MODULE_LOAD'),
      () => `a missing task module: start ${show(outcome)}`,
    );
    return outcome.status === 'fulfilled';
  }
  const startTimeout = c.values.startTimeout;
  const short = startTimeout?.k === 'number' && startTimeout.v < 2_000;
  verdict.expect(
    outcome.status === 'fulfilled' ||
      (short && outcome.status === 'rejected' && isEngineError(reason, 'ERR_TANDEM_START_TIMEOUT')),
    () => `valid options: start ${show(outcome)}`,
  );
  return outcome.status === 'fulfilled';
}

/** What the pool's stats must show for the options of `c` (undefined: the default). */
export function expectedStats(c: PoolStartCase, defaultThreads: number) {
  const value = (v: OptionValue | undefined) => (v === undefined ? undefined : buildOption(v));
  const threads = (value(c.values.threads) as number | undefined) ?? defaultThreads;
  return {
    size: threads,
    concurrentTasksPerWorker: value(c.values.concurrentTasksPerWorker) ?? 'auto',
    maxQueue: value(c.values.maxQueue) ?? 16 * threads,
    onFull: value(c.values.onFull) ?? 'wait',
    grace: value(c.values.grace) ?? 1000,
  };
}
