// Arbitrary options for `close()` of a pool or an engine, the model of which are valid, and the
// judgement of a close made while a task runs. Shared by pool-options and engine-options.
import fc from 'fast-check';
import { buildOption, isDuration, type OptionValue, optionValue } from './arbitraries.ts';
import { attempt, settleWithin } from './bound.ts';
import { describe, isEngineError, show, VALIDATION, type Verdict } from './judge.ts';

/** How `close()` is called. */
export type CloseCase =
  | { k: 'absent' }
  | { k: 'empty' }
  | { k: 'timeout'; v: OptionValue }
  | { k: 'proxy'; v: OptionValue }
  | { k: 'null' }
  | { k: 'string' };

export const closeCase: fc.Arbitrary<CloseCase> = fc.oneof(
  fc.constantFrom<CloseCase>({ k: 'absent' }, { k: 'empty' }, { k: 'null' }, { k: 'string' }),
  { weight: 4, arbitrary: optionValue.map((v): CloseCase => ({ k: 'timeout', v })) },
  optionValue.map((v): CloseCase => ({ k: 'proxy', v })),
);

export function buildClose(c: CloseCase): unknown[] {
  switch (c.k) {
    case 'absent':
      return [];
    case 'empty':
      return [{}];
    case 'timeout':
      return [{ timeout: buildOption(c.v) }];
    case 'proxy':
      return [new Proxy({ timeout: buildOption(c.v) }, {})];
    case 'null':
      return [null];
    case 'string':
      return ['x'];
  }
}

/** Whether the model refuses the close options, may cut a 30 ms task short, or is unsure. */
export function closeModel(c: CloseCase): 'invalid' | 'short' | 'long' | 'either' {
  if (c.k === 'null') return 'invalid';
  if (c.k === 'string') return 'either';
  if (c.k === 'timeout' || c.k === 'proxy') {
    if (!isDuration(c.v)) return 'invalid';
    return c.v.k === 'number' && c.v.v < 2_000 ? 'short' : 'long';
  }
  return 'long';
}

export interface Closable {
  run(name: string, input: unknown): Promise<unknown>;
  close(...args: unknown[]): Promise<void>;
}

/**
 * Closes `target` (a pool or an engine) as `c` says, while a 30 ms task runs, and judges it.
 * Shared with core's engine-options property.
 */
export async function judgeClose(verdict: Verdict, target: Closable, c: CloseCase): Promise<void> {
  const running = settleWithin(target.run('hold', 30));
  const model = closeModel(c);
  const closed = await attempt(() => target.close(...buildClose(c)));
  const held = await running;
  const refused = closed.status === 'rejected' && isEngineError(closed.reason, ...VALIDATION);
  if (model === 'invalid' || (model === 'either' && refused)) {
    verdict.expect(
      refused,
      () => `close(${describe(buildClose(c)[0])}) ${show(closed)}, not ${VALIDATION.join(' / ')}`,
    );
    // A refused close changes nothing: the pool still runs tasks, and closes later.
    const after = await attempt(() => target.run('echo', 'still open'));
    verdict.expect(
      after.status === 'fulfilled' && after.value === 'still open',
      () => `after a refused close, run() ${show(after)}`,
    );
    const again = await attempt(() => target.close());
    verdict.expect(
      again.status === 'fulfilled',
      () => `after a refused close, close() ${show(again)}`,
    );
  } else {
    verdict.expect(
      closed.status === 'fulfilled',
      () => `close(${describe(buildClose(c)[0])}) ${show(closed)}`,
    );
    const destroyed =
      held.status === 'rejected' && isEngineError(held.reason, 'ERR_TANDEM_POOL_DESTROYED');
    verdict.expect(
      (held.status === 'fulfilled' && held.value === 'held') || (model === 'short' && destroyed),
      () => `close(${describe(buildClose(c)[0])}) while a 30 ms task ran: the task ${show(held)}`,
    );
  }
  const late = await attempt(() => target.run('echo', 'too late'));
  verdict.expect(
    late.status === 'rejected' && isEngineError(late.reason, 'ERR_TANDEM_POOL_CLOSED'),
    () => `run() after close ${show(late)}`,
  );
}
