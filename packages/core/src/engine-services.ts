/**
 * The services an engine started: counted until they close, refused once the engine closes,
 * and all closed by the engine's `close()`, including those still starting when it began.
 *
 * @module
 */
import { PoolClosedError, Service, type ServiceStartOptions } from '@tandem/workers';
import { checkDuration, checkSignal } from '@tandem/workers/internal';
import { linkSignals } from './internal/link-signals.js';
import { readOptions } from './internal/read-options.js';

export class EngineServices {
  readonly #open = new Set<Service<object>>();
  /** Starts under way: `close()` waits for them, then closes what they started. */
  readonly #starting = new Set<Promise<unknown>>();
  readonly #closing: () => boolean;
  /** Aborts the starts under way when the engine closes. */
  readonly #stop = new AbortController();

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
    // The engine's close abandons a start under way, as the caller's signal does.
    const link = linkSignals(signal, this.#stop.signal);
    // Adopted as soon as it is up, before anyone else hears of it, so that close() sees it.
    const starting = Service.start<Api>(module, {
      signal: link.signal,
      ...(startTimeout !== undefined && { startTimeout }),
    }).then((service) => {
      this.#adopt(service as Service<object>);
      return service;
    });
    this.#starting.add(starting);
    let service: Service<Api>;
    try {
      service = await starting;
    } catch (error) {
      if (this.#stop.signal.aborted && error === this.#stop.signal.reason) {
        throw new PoolClosedError();
      }
      throw error;
    } finally {
      this.#starting.delete(starting);
      link.unlink();
    }
    if (this.#closing()) {
      await service.close();
      throw new PoolClosedError();
    }
    return service;
  }

  /** Closes every service, once the starts under way have finished. */
  async close(): Promise<void> {
    this.#stop.abort(new PoolClosedError());
    await Promise.allSettled([...this.#starting]);
    await Promise.all([...this.#open].map((service) => service.close()));
  }

  #adopt(service: Service<object>): void {
    this.#open.add(service);
    // It leaves the set once its worker has ended (closed by anyone, or crashed).
    void service.closed.then(() => this.#open.delete(service));
  }
}
