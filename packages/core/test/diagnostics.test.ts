import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { deferred, setClock, systemClock } from '@tandem/workers/internal';
import { useFakeClock } from '../../workers/test/fake-clock.ts';
import { formatTaskTree, tasks, trackTask } from '../src/current-scope.ts';
import { startBlockingDetector } from '../src/diagnostics/blocking-detector.ts';
import type { BlockingEvent, LeakEvent } from '../src/diagnostics/channels.ts';
import { scope } from '../src/scope.ts';
import { detach } from '../src/shield.ts';
import { flush, untilAborted, useMockClock } from './support/helpers.ts';

function listen<E>(t: { after(fn: () => void): void }, name: string): E[] {
  const events: E[] = [];
  const onEvent = (event: unknown) => events.push(event as E);
  subscribe(name, onEvent);
  t.after(() => unsubscribe(name, onEvent));
  return events;
}

describe('leak detection', () => {
  test('a child that ignores its abort past the grace period is reported', async (t) => {
    const timers = useMockClock(t);
    const events = listen<LeakEvent>(t, 'tandem:leak');
    const stubborn = deferred<void>();
    const run = scope({ name: 'job', abortGrace: 50 }, async (s) => {
      s.spawn(() => stubborn.promise, { name: 'stubborn' });
      s.spawn((signal) => untilAborted(signal), { name: 'polite' });
      await flush();
      s.cancel();
    });
    await flush();
    timers.tick(49);
    assert.equal(events.length, 0);
    timers.tick(1);
    assert.deepEqual(
      events.map((e) => [e.kind, e.path, e.graceMs]),
      [['abort-ignored', 'job/stubborn', 50]],
    );
    stubborn.resolve();
    await run;
  });

  test('nothing is scheduled for ignored aborts when nobody listens', async (t) => {
    let timersSet = 0;
    const counting = setClock({
      now: () => systemClock.now(),
      setTimeout: (callback, ms) => {
        timersSet++;
        return systemClock.setTimeout(callback, ms);
      },
      clearTimeout: (handle) => systemClock.clearTimeout(handle),
    });
    t.after(() => setClock(counting));
    const cancelWithStubbornChild = async () => {
      const stubborn = deferred<void>();
      const run = scope({ abortGrace: 60_000 }, async (s) => {
        s.spawn(() => stubborn.promise);
        s.cancel();
      });
      await flush();
      stubborn.resolve();
      await run;
    };
    await cancelWithStubbornChild();
    assert.equal(timersSet, 0);
    listen<LeakEvent>(t, 'tandem:leak');
    await cancelWithStubbornChild();
    assert.equal(timersSet, 1, 'with a subscriber the grace timer is set');
  });

  test('a task handle garbage-collected while pending is reported', async (t) => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const events = listen<LeakEvent>(t, 'tandem:leak');
    (() => {
      detach(() => new Promise<never>(() => {}), { name: 'forgotten' });
    })();
    await flush();
    for (let i = 0; i < 20 && !events.some((e) => e.kind === 'gc-pending'); i++) {
      gc();
      await flush();
    }
    assert.ok(
      events.some((e) => e.kind === 'gc-pending' && e.name === 'forgotten'),
      `events: ${JSON.stringify(events.map((e) => e.kind))}`,
    );
  });
});

describe('blocking detector', () => {
  // The loop is "blocked" on a fake clock: time jumps while no timer can fire, exactly as a
  // spinning task makes it look to the detector, with no wall-clock window to miss on a
  // loaded machine.
  test('a blocked loop is reported with the names of the tasks running then', async (t) => {
    const clock = useFakeClock(t);
    const events = listen<BlockingEvent>(t, 'tandem:blocking');
    const detector = startBlockingDetector({ threshold: 100, interval: 10 });
    t.after(() => detector.stop());
    await scope({ name: 'app' }, async (s) => {
      s.spawn(
        async () => {
          clock.block(200); // the detector's timer, due at 10, cannot run until 200
        },
        { name: 'hog' },
      );
    });
    clock.advance(clock.now()); // the loop is free again: the overdue timer fires
    assert.equal(events.length, 1);
    const [event] = events;
    assert.equal(event?.delay, 190);
    assert.equal(event?.threshold, 100);
    // The hog finished before the timer ran: it is named from the nodes touched meanwhile.
    assert.ok(event?.tasks.includes('app/hog'), `tasks: ${event?.tasks.join(', ')}`);
  });

  test('a loop on time, or late by no more than the threshold, is not reported', async (t) => {
    const clock = useFakeClock(t);
    const events = listen<BlockingEvent>(t, 'tandem:blocking');
    const detector = startBlockingDetector({ threshold: 100, interval: 10 });
    t.after(() => detector.stop());
    for (let now = 10; now <= 1_000; now += 10) clock.advance(now);
    clock.block(110); // due at 1_010, runs at 1_110: exactly 100 ms late
    clock.advance(clock.now());
    assert.equal(events.length, 0);
    clock.block(111);
    clock.advance(clock.now());
    assert.equal(events.length, 1);
    assert.equal(events[0]?.delay, 101);
  });

  test('options are validated at the boundary', () => {
    assert.throws(() => startBlockingDetector({ interval: 0 }), {
      code: 'ERR_TANDEM_OUT_OF_RANGE',
    });
  });
});

describe('task tree', () => {
  test('trackTask shows a CPU task under the running scope until it ends', async () => {
    let inside: ReturnType<typeof tasks> = [];
    await scope({ name: 'batch', timeout: 1_000 }, async (s) => {
      const end = trackTask('wordCount', s.signal);
      inside = tasks();
      end('fulfilled');
      end('rejected'); // a second call does nothing
      assert.equal(
        tasks()
          .find((i) => i.name === 'batch')
          ?.children.some((c) => c.kind === 'cpu'),
        false,
      );
    });
    const cpu = inside.find((i) => i.name === 'batch')?.children[0];
    assert.equal(cpu?.kind, 'cpu');
    assert.equal(cpu?.path, 'batch/wordCount');
    assert.equal(cpu?.state, 'running');
    assert.equal(cpu?.deadline, inside.find((i) => i.name === 'batch')?.deadline);
  });

  test('formatTaskTree prints one line per node, indented like pstree', () => {
    const text = formatTaskTree(
      [
        {
          id: 1,
          name: 'crawl',
          path: 'crawl',
          kind: 'scope',
          state: 'running',
          startedAt: 0,
          deadline: 1_000,
          children: [
            {
              id: 2,
              name: 'a',
              path: 'crawl/a',
              kind: 'task',
              state: 'running',
              startedAt: 10,
              deadline: 1_000,
              children: [],
            },
            {
              id: 3,
              name: 'b',
              path: 'crawl/b',
              kind: 'cpu',
              state: 'running',
              startedAt: 20,
              deadline: undefined,
              children: [],
            },
          ],
        },
      ],
      100,
    );
    assert.equal(
      text,
      [
        '└── crawl [scope running, 100 ms, deadline in 900 ms]',
        '    ├── a [task running, 90 ms, deadline in 900 ms]',
        '    └── b [cpu running, 80 ms]',
      ].join('\n'),
    );
  });
});
