/**
 * The blocking detector: a timer that should fire every `interval` ms; when it fires more
 * than `threshold` ms late, the loop was blocked, and a {@link BlockingEvent} on
 * `tandem:blocking` names the tasks that were running meanwhile (the blocker among them).
 * Nothing is gathered or published while the channel has no subscribers.
 *
 * @module
 */

import { clock } from '@tandem/workers';
import { checkNumber, startTimer, type Timer } from '@tandem/workers/internal';
import { readOptions } from '../internal/read-options.js';
import { recordTouched, runningNodes, takeTouched } from '../internal/task-tree.js';
import { type BlockingEvent, blockingChannel } from './channels.js';

/** Options of {@link startBlockingDetector}. */
export interface BlockingDetectorOptions {
  /** Report when the loop is this many ms late. Default 100. */
  readonly threshold?: number;
  /** How often to check, in ms. Default 20. */
  readonly interval?: number;
}

/** A running detector; `stop()` (or `using`) ends it. */
export interface BlockingDetector extends Disposable {
  stop(): void;
}

/**
 * Starts watching the loop. The timer is unref'd: it never keeps the process alive.
 *
 * @example
 * import { subscribe } from 'node:diagnostics_channel';
 * subscribe('tandem:blocking', (e) => log.warn(`loop blocked ${e.delay} ms during ${e.tasks}`));
 * using detector = startBlockingDetector({ threshold: 100 });
 */
export function startBlockingDetector(options?: BlockingDetectorOptions): BlockingDetector {
  const { threshold = 100, interval = 20 } = readOptions('options', options);
  checkNumber('options.threshold', threshold, 0);
  checkNumber('options.interval', interval, 1);
  const c = clock();
  const stopRecording = recordTouched();
  let expected = c.now() + interval;
  let timer: Timer;

  const tick = () => {
    const now = c.now();
    const delay = now - expected;
    if (delay > threshold && blockingChannel.hasSubscribers) {
      const tasks = new Set([...takeTouched(), ...runningNodes().map((node) => node.path)]);
      const event: BlockingEvent = { delay, threshold, tasks: [...tasks] };
      blockingChannel.publish(event);
    } else {
      takeTouched();
    }
    expected = now + interval;
    schedule();
  };
  const schedule = () => {
    timer = startTimer(interval, tick, true);
  };
  schedule();

  const stop = () => {
    timer.cancel();
    stopRecording();
  };
  return { stop, [Symbol.dispose]: stop };
}
