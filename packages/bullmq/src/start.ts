/**
 * Starting a producer: a `Queue` (one connection for adds, removes and lookups), the event
 * stream's tail, the `QueueEvents` reader from that tail (its own blocking connection), and the
 * worker registry. The whole start is bounded by `startTimeout` and `signal`; a start that
 * fails closes what it opened.
 *
 * @module
 */
import { type BackendStartContext, InvalidArgumentError, StartTimeoutError } from '@tandem/workers';
import {
  checkInteger,
  checkNumber,
  checkOneOf,
  checkSignal,
  deferred,
  startTimer,
} from '@tandem/workers/internal';
import { type ConnectionOptions, Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { EventFeed } from './events.js';
import type { Opened } from './producer.js';
import type { ResolvedBullmqOptions } from './producer-options.js';
import { readWorkers } from './registry-reader.js';

/** Jobs a producer may wait for at once unless `maxQueue` says otherwise. */
const DEFAULT_MAX_QUEUE = 10_000;

/** The start bounds and queue settings, checked. */
export interface StartSettings {
  startTimeout: number;
  maxQueue: number;
  onFull: 'wait' | 'reject';
}

/**
 * Reconnect quickly after a short drop (BullMQ's own default waits at least 1 s, up to 20 s
 * after a long outage): 50 ms doubling, at most 2 s apart. A user's `retryStrategy` wins.
 */
function retryStrategy(times: number): number {
  return Math.min(50 * 2 ** Math.min(times, 10), 2000);
}

export async function startBackend<B>(
  options: ResolvedBullmqOptions,
  context: BackendStartContext,
  build: (opened: Opened, settings: StartSettings) => B,
): Promise<B> {
  const settings = readContext(context);
  const signal = context.signal;
  signal?.throwIfAborted();
  const connection: RedisOptions = { retryStrategy, ...options.connection };
  const where = `Redis at ${connection.host ?? '127.0.0.1'}:${connection.port ?? 6379}`;
  const gaveUp = deferred<never>();
  gaveUp.promise.catch(() => {});
  // The last connection error, so that a wrong host or port says so in the timeout's message.
  let lastError: Error | undefined;
  const timer = startTimer(settings.startTimeout, () =>
    gaveUp.reject(
      new StartTimeoutError(
        `The BullMQ backend (${where}, queue ${options.bullQueue})`,
        settings.startTimeout,
        lastError === undefined
          ? 'Redis did not answer: check the connection (host, port, password, TLS), or raise startTimeout.'
          : `Redis could not be reached (${lastError.message}): check the connection (host, port, password, TLS) and that Redis is running.`,
        lastError === undefined ? undefined : { cause: lastError },
      ),
    ),
  );
  const onAbort = () => gaveUp.reject(signal!.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const within = <T>(step: Promise<T>): Promise<T> => {
    step.catch(() => {}); // it may lose the race; its failure is then of no interest
    return Promise.race([step, gaveUp.promise]);
  };
  let client: Redis | undefined;
  let queue: Queue | undefined;
  let feed: EventFeed | undefined;
  try {
    // Ours, shared with the Queue: Tandem's own commands (cancel flags, registry, stream
    // reads) go through it as plain ioredis calls. The Queue does not close a shared client.
    client = new Redis(connection);
    client.on('error', (error: Error) => {
      lastError = error;
    });
    queue = new Queue(options.bullQueue, {
      connection: client as unknown as ConnectionOptions,
      prefix: options.prefix,
      streams: { events: { maxLen: options.eventsMaxLen } },
    });
    // Connection errors are retried by ioredis (and by this producer); they need a listener
    // so that an EventEmitter does not throw them.
    queue.on('error', () => {});
    await within(queue.waitUntilReady());
    const last = await within(client.xrevrange(queue.keys.events!, '+', '-', 'COUNT', 1));
    const tail = last[0]?.[0] ?? '0-0';
    feed = new EventFeed(
      options.bullQueue,
      connection,
      options.prefix,
      tail,
      client,
      queue.keys.events!,
    );
    await within(feed.waitUntilReady());
    const census = await within(readWorkers(client, options.keys));
    return build({ queue, client, feed, census }, settings);
  } catch (error) {
    // Nothing here may wait for a connection that never came: force them down.
    client?.disconnect();
    await Promise.allSettled([feed?.abort(), queue?.close()]);
    throw error;
  } finally {
    timer.cancel();
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Checks what `Engine.start` (or a caller of `factory.start`) passed. */
function readContext(context: BackendStartContext): StartSettings {
  if (typeof context !== 'object' || context === null) {
    throw new InvalidArgumentError(
      `Expected the start context to be an object, got ${typeof context}`,
    );
  }
  const { startTimeout, signal, maxQueue, onFull } = context;
  checkNumber('options.startTimeout', startTimeout, 0, true);
  checkSignal('options.signal', signal);
  if (maxQueue !== undefined) checkInteger('options.maxQueue', maxQueue, 1, true);
  checkOneOf('options.onFull', onFull, ['wait', 'reject']);
  return {
    startTimeout,
    maxQueue: maxQueue ?? DEFAULT_MAX_QUEUE,
    onFull: onFull ?? 'wait',
  };
}
