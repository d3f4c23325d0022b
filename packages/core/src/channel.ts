/**
 * A bounded async channel between producers and consumers: `send()` waits while the buffer
 * is full (backpressure), `receive()` waits while it is empty. `close()` lets consumers
 * drain what is buffered; `shutdown({ immediate: true })` drops it.
 *
 * @module
 */

import { checkInteger, checkSignal, deferred } from '@tandem/workers/internal';
import { ChannelClosedError } from './errors.js';
import { readOptions } from './internal/read-options.js';
import { waitSignal } from './internal/wait-signal.js';

/** Options of {@link channel}. */
export interface ChannelOptions {
  /**
   * Items buffered before `send()` waits: an integer `>= 0`, or `Infinity` (never waits).
   * `0` makes every send wait for a receiver. Default 1.
   */
  readonly capacity?: number;
}

/** Options of a waiting call. */
export interface ChannelWaitOptions {
  /**
   * Gives up waiting. It joins the signal of the running scope or task (both apply), so a
   * signal of your own never lets a wait outlive its scope.
   */
  readonly signal?: AbortSignal;
}

/** See {@link channel}. */
export interface Channel<T> extends AsyncIterable<T> {
  /**
   * Buffers `value`, waiting while the buffer is full. Rejects with `ChannelClosedError`
   * (`ERR_TANDEM_CHANNEL_CLOSED`) once closed (also when it was waiting), or with
   * `signal.reason` if aborted (the value is then not sent).
   */
  send(value: T, options?: ChannelWaitOptions): Promise<void>;
  /**
   * Takes the oldest value, waiting while empty. Rejects with `ChannelClosedError` when
   * closed and drained, or with `signal.reason` if aborted.
   */
  receive(options?: ChannelWaitOptions): Promise<T>;
  /** No more sends; receivers drain the buffer, then end. Waiting senders are rejected. */
  close(): void;
  /** Like `close()`; with `immediate: true` also drops the buffer, ending receivers now. */
  shutdown(options?: { readonly immediate?: boolean }): void;
  readonly closed: boolean;
  /** Items buffered now. */
  readonly size: number;
}

interface Waiter<V> {
  resolve(value: V): void;
  reject(reason: unknown): void;
}

interface Sender<T> extends Waiter<void> {
  readonly value: T;
}

/**
 * Builds a bounded channel. Iterate it with `for await…of` to receive until it is closed
 * and drained; `break` leaves it open.
 *
 * @throws OutOfRangeError `ERR_TANDEM_OUT_OF_RANGE` if `capacity < 0`; InvalidArgumentError
 *   `ERR_TANDEM_INVALID_ARGUMENT` if it is not an integer (or `Infinity`), or `options` is not
 *   an object (`channel(8)` is a mistake for `channel({ capacity: 8 })`).
 *
 * @example
 * const ch = channel<Page>({ capacity: 64 });
 * s.spawn(async (signal) => { for (const url of urls) await ch.send(await get(url, signal), { signal }); ch.close(); });
 * for await (const page of ch) index(page);
 */
export function channel<T>(options?: ChannelOptions): Channel<T> {
  const capacity = readOptions('options', options).capacity ?? 1;
  return new ChannelImpl<T>(checkInteger('options.capacity', capacity, 0, true));
}

class ChannelImpl<T> implements Channel<T> {
  readonly #capacity: number;
  readonly #buffer: T[] = [];
  readonly #senders: Sender<T>[] = [];
  readonly #receivers: Waiter<T>[] = [];
  #closed = false;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get size(): number {
    return this.#buffer.length;
  }

  async send(value: T, options?: ChannelWaitOptions): Promise<void> {
    const explicit = checkSignal('options.signal', readOptions('options', options).signal);
    const { signal, unlink } = waitSignal(explicit);
    try {
      signal?.throwIfAborted();
      if (this.#closed) throw new ChannelClosedError('send');
      const receiver = this.#receivers.shift();
      if (receiver) receiver.resolve(value);
      else if (this.#buffer.length < this.#capacity) this.#buffer.push(value);
      else
        await enqueue(this.#senders, signal, (d) => ({
          value,
          resolve: d.resolve,
          reject: d.reject,
        }));
    } finally {
      unlink();
    }
  }

  async receive(options?: ChannelWaitOptions): Promise<T> {
    const explicit = checkSignal('options.signal', readOptions('options', options).signal);
    const { signal, unlink } = waitSignal(explicit);
    try {
      return await this.#receive(signal);
    } finally {
      unlink();
    }
  }

  #receive(signal: AbortSignal | undefined): Promise<T> {
    signal?.throwIfAborted();
    if (this.#buffer.length > 0) {
      const value = this.#buffer.shift() as T;
      // A slot opened: the oldest waiting sender moves its value into the buffer.
      const sender = this.#senders.shift();
      if (sender) {
        this.#buffer.push(sender.value);
        sender.resolve();
      }
      return Promise.resolve(value);
    }
    const sender = this.#senders.shift();
    if (sender) {
      sender.resolve();
      return Promise.resolve(sender.value);
    }
    if (this.#closed) throw new ChannelClosedError('receive');
    return enqueue(this.#receivers, signal, (d) => d);
  }

  close(): void {
    this.shutdown();
  }

  shutdown({ immediate = false }: { readonly immediate?: boolean } = {}): void {
    this.#closed = true;
    if (immediate) this.#buffer.length = 0;
    for (const sender of this.#senders.splice(0)) sender.reject(new ChannelClosedError('send'));
    // Receivers wait only on an empty buffer: closing ends them now.
    for (const receiver of this.#receivers.splice(0)) {
      receiver.reject(new ChannelClosedError('receive'));
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      try {
        yield await this.receive();
      } catch (error) {
        if (error instanceof ChannelClosedError) return;
        throw error;
      }
    }
  }
}

/**
 * Waits in `queue` until served, or leaves it at once (rejecting) when `signal` aborts. A
 * waiter served in the same tick as the abort has already left the queue: it keeps what it
 * was served (the value was handed over) and removes nobody else.
 */
function enqueue<V, W extends Waiter<V>>(
  queue: W[],
  signal: AbortSignal | undefined,
  make: (d: Waiter<V>) => W,
): Promise<V> {
  const d = deferred<V>();
  const waiter = make(d);
  const onAbort = () => {
    const at = queue.indexOf(waiter);
    if (at === -1) return;
    queue.splice(at, 1);
    d.reject(signal?.reason);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  queue.push(waiter);
  return d.promise.finally(() => signal?.removeEventListener('abort', onAbort));
}
