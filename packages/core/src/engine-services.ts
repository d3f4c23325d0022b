/**
 * The services an engine started: counted until they close, refused once the engine closes,
 * and all closed by the engine's `close()`, including those still starting when it began.
 *
 * @module
 */
import { PoolClosedError, Service } from '@tandem/workers';
import { checkDuration, checkSignal } from '@tandem/workers/internal';
import { readOptions } from './internal/read-options.js';

/** Options of `engine.service()`. */
export interface ServiceStartOptions {
  /** Abandons the start: it rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Ms the service may take to start, as for `Engine.start`. Default 30 000. */
  startTimeout?: number;
}

export class EngineServices {
  readonly #open = new Set<Service<object>>();
  /** Starts under way: `close()` waits for them, then closes what they started. */
  readonly #starting = new Set<Promise<unknown>>();
  readonly #closing: () => boolean;

  /** @param closing tells whether the engine's close has begun. */
  constructor(closing: () => boolean) {
    this.#closing = closing;
  }

  /** Services started and not closed. */
  get size(): number {
    return this.#open.size;
  }

  /**
   * Starts a service, unless the engine is closing.
   *
   * @throws PoolClosedError (`ERR_TANDEM_POOL_CLOSED`) when the engine's close has begun
   * (before the start: nothing is started; during it: the service is closed first).
   */
  async start<Api extends object>(
    module: URL | string,
    options: ServiceStartOptions | undefined,
  ): Promise<Service<Api>> {
    const { signal, startTimeout } = readOptions('options', options);
    checkSignal('options.signal', signal);
    checkDuration('options.startTimeout', startTimeout);
    signal?.throwIfAborted();
    if (this.#closing()) throw new PoolClosedError();
    // Adopted as soon as it is up, before anyone else hears of it, so that close() sees it.
    // TODO(issue 7): pass { signal, startTimeout } on to Service.start once it takes them;
    // until then a start is bounded by neither once under way.
    const starting = Service.start<Api>(module).then((service) => {
      this.#adopt(service as Service<object>);
      return service;
    });
    this.#starting.add(starting);
    let service: Service<Api>;
    try {
      service = await starting;
    } finally {
      this.#starting.delete(starting);
    }
    if (this.#closing()) {
      await service.close();
      throw new PoolClosedError();
    }
    return service;
  }

  /** Closes every service, once the starts under way have finished. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#starting]);
    await Promise.all([...this.#open].map((service) => service.close()));
  }

  #adopt(service: Service<object>): void {
    this.#open.add(service);
    // Service does not report its own end yet: learn of a close through its close(). It
    // leaves the set once its worker has ended, so that close() never misses one.
    const close = service.close.bind(service);
    service.close = () => close().finally(() => this.#open.delete(service));
  }
}
