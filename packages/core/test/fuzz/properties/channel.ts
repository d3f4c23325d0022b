// Arbitrary programs against a channel: sends, receives (with or without signals), aborts,
// close and shutdown, several in the same tick or split by ticks. The property: after a final
// shutdown every call has settled; each value received was sent, once, by a send that did
// not fail; failures are the channel's closed error or the call's own abort reason; no
// listener is left; invalid capacities are refused.
import { getEventListeners } from 'node:events';
import { channel } from '@tandem/core';
import fc from 'fast-check';
import {
  buildOption,
  numbers,
  type OptionValue,
  optionValue,
} from '../../../../workers/test/fuzz/support/arbitraries.ts';
import {
  attempt,
  settleWithin,
  turns,
  type Watched,
  watch,
} from '../../../../workers/test/fuzz/support/bound.ts';
import { takeStrays } from '../../../../workers/test/fuzz/support/guard.ts';
import {
  describe,
  isEngineError,
  show,
  VALIDATION,
  Verdict,
} from '../../../../workers/test/fuzz/support/judge.ts';
import type { FuzzProperty } from '../../../../workers/test/fuzz/support/property.ts';

type SignalMode = 'none' | 'own' | 'aborted';
type Op =
  | { op: 'send'; signal: SignalMode }
  | { op: 'receive'; signal: SignalMode }
  | { op: 'abort'; which: number }
  | { op: 'close' }
  | { op: 'shutdown'; immediate: boolean }
  | { op: 'tick' }
  | { op: 'microtask' };

const mode = fc.constantFrom<SignalMode>('none', 'own', 'own', 'aborted');
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: mode.map((signal): Op => ({ op: 'send', signal })) },
  { weight: 4, arbitrary: mode.map((signal): Op => ({ op: 'receive', signal })) },
  { weight: 3, arbitrary: fc.nat(4).map((which): Op => ({ op: 'abort', which })) },
  fc.constant<Op>({ op: 'close' }),
  fc.boolean().map((immediate): Op => ({ op: 'shutdown', immediate })),
  { weight: 3, arbitrary: fc.constantFrom<Op>({ op: 'tick' }, { op: 'microtask' }) },
);

interface Call {
  index: number;
  kind: 'send' | 'receive';
  controller: AbortController | undefined;
  reason: unknown;
  watched: Watched;
}

const capacity = fc.oneof(
  { weight: 3, arbitrary: numbers(0, 1, 2, Number.POSITIVE_INFINITY) },
  optionValue,
);

const program: FuzzProperty = {
  name: 'channel programs: every call settles, values arrive once from sends that succeeded',
  runs: 500,
  property: fc.asyncProperty(capacity, fc.array(op, { maxLength: 24 }), async (cap, ops) => {
    const verdict = new Verdict();
    const valid =
      cap.k === 'number' &&
      (Number.isInteger(cap.v) || cap.v === Number.POSITIVE_INFINITY) &&
      cap.v >= 0;
    const made = await attempt(() => channel({ capacity: buildOption(cap) as number }));
    // `capacity: null` may mean the default, as `undefined` does.
    const either = cap.k === 'null' && made.status === 'fulfilled';
    if (!valid && !either) {
      verdict.expect(
        made.status === 'rejected' && isEngineError(made.reason, ...VALIDATION),
        () => `channel({ capacity: ${describe(buildOption(cap))} }) ${show(made)}`,
      );
      return verdict.done();
    }
    if (!verdict.expect(made.status === 'fulfilled', () => `channel() ${show(made)}`))
      return verdict.done();
    const ch = (made as { value: ReturnType<typeof channel<number>> }).value;
    const calls: Call[] = [];
    for (const step of ops) {
      if (step.op === 'tick') await turns(1);
      else if (step.op === 'microtask') await null;
      else if (step.op === 'close') ch.close();
      else if (step.op === 'shutdown') ch.shutdown({ immediate: step.immediate });
      else if (step.op === 'abort') {
        // `which` counts back from the latest call: aborts land near what they race with.
        const call = calls[calls.length - 1 - (step.which % Math.max(1, calls.length))];
        if (call?.controller && !call.controller.signal.aborted) {
          call.reason = new Error(`abort of call ${call.index}`);
          call.controller.abort(call.reason);
        }
      } else {
        const index = calls.length;
        const controller = step.signal === 'none' ? undefined : new AbortController();
        const call: Call = {
          index,
          kind: step.op,
          controller,
          reason: undefined,
          watched: watch(() => undefined),
        };
        if (step.signal === 'aborted') {
          call.reason = new Error(`abort of call ${index}`);
          controller?.abort(call.reason);
        }
        const options = controller ? { signal: controller.signal } : {};
        call.watched = watch(() =>
          step.op === 'send' ? ch.send(index, options) : ch.receive(options),
        );
        calls.push(call);
      }
    }
    ch.shutdown({ immediate: true });
    // Everything is on this loop: after a shutdown, a second is a generous bound.
    const outcomes = await Promise.all(calls.map((c) => c.watched.wait(1_000)));
    const received = new Map<unknown, number>();
    outcomes.forEach((outcome, i) => {
      const call = calls[i]!;
      const name = `${call.kind} #${i}`;
      if (outcome.status === 'unsettled') {
        verdict.fail(`${name} did not settle after shutdown`);
      } else if (outcome.status === 'rejected') {
        verdict.expect(
          isEngineError(outcome.reason, 'ERR_TANDEM_CHANNEL_CLOSED') ||
            (call.reason !== undefined && outcome.reason === call.reason),
          () => `${name} ${show(outcome)}`,
        );
      } else if (call.kind === 'receive') {
        received.set(outcome.value, (received.get(outcome.value) ?? 0) + 1);
      }
      if (call.controller) {
        const left = getEventListeners(call.controller.signal, 'abort').length;
        verdict.expect(left === 0, `${name} left ${left} abort listeners`);
      }
    });
    for (const [value, times] of received) {
      const sender = calls[value as number];
      const sent = outcomes[value as number];
      verdict.expect(times === 1, `value ${describe(value)} was received ${times} times`);
      verdict.expect(
        sender?.kind === 'send' && sent?.status === 'fulfilled',
        () =>
          `value ${describe(value)} was received, but its send ${sent === undefined ? 'does not exist' : show(sent)}`,
      );
    }
    await turns();
    for (const stray of takeStrays()) verdict.fail(`in the process: ${stray}`);
    verdict.done();
  }),
};

/** Options of `send` / `receive` themselves: refused unless an object with an optional signal. */
const callOptions: FuzzProperty = {
  name: 'channel send/receive options: invalid ones refused with a code',
  runs: 40,
  property: fc.asyncProperty(
    fc.constantFrom('send', 'receive'),
    fc.oneof(
      fc.constant<OptionValue | 'absent'>('absent'),
      optionValue.map((v) => v as OptionValue | 'absent'),
    ),
    async (which, given) => {
      const verdict = new Verdict();
      const ch = channel<number>({ capacity: 1 });
      if (which === 'receive') await ch.send(1);
      const options = given === 'absent' ? undefined : buildOption(given);
      const outcome = await attempt(() =>
        which === 'send' ? ch.send(2, options as never) : ch.receive(options as never),
      );
      const refused = outcome.status === 'rejected' && isEngineError(outcome.reason, ...VALIDATION);
      // An object without a signal is fine; null is not; a primitive may go either way.
      const kind = given === 'absent' ? 'object' : given.k;
      verdict.expect(
        ['object', 'proxy', 'array'].includes(kind)
          ? outcome.status === 'fulfilled'
          : kind === 'null'
            ? refused
            : refused || outcome.status === 'fulfilled',
        () => `${which}(${describe(options)}) ${show(outcome)}`,
      );
      ch.shutdown({ immediate: true });
      await settleWithin(Promise.resolve());
      verdict.done();
    },
  ),
};

export const properties = [program, callOptions];
