/**
 * Long-lived services: one dedicated worker that keeps costly state (a dictionary, a compiled
 * model) and answers calls through comlink. Tandem adds what comlink leaves out: every call
 * settles (a crash of the worker rejects all pending calls with `WorkerCrashedError`; comlink
 * alone never settles them, its issue #601), calls take a signal, errors keep their identity.
 *
 * @module
 */
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type Remote, releaseProxy, wrap } from 'comlink';
import { deserializeError } from './codec.js';
import { nodeEndpoint } from './comlink-endpoint.js';
import { useTandemErrorsInComlink } from './comlink-errors.js';
import { InvalidArgumentError, ServiceClosedError, WorkerCrashedError } from './errors.js';
import { type Deferred, deferred } from './internal/deferred.js';
import { SERVICE_READY_KEY, type ServiceBootData, type ServiceReady } from './service-protocol.js';
import { checkSignal } from './validate.js';

const entryUrl = new URL('./service-entry.js', import.meta.url);

/** Names of the methods of `Api`. */
export type MethodName<Api> = {
  [Key in keyof Api]: Api[Key] extends (...args: any[]) => unknown ? Key : never;
}[keyof Api] &
  string;

type Method<Api, Name extends MethodName<Api>> = Api[Name] extends (
  ...args: infer Args
) => infer Result
  ? (...args: Args) => Promise<Awaited<Result>>
  : never;

/** The service's methods, each returning a promise that always settles. */
export type ServiceApi<Api> = { [Name in MethodName<Api>]: Method<Api, Name> };

/** Options of one call. */
export interface CallOptions {
  /**
   * Abandons the call: it rejects with `signal.reason` at once. The method keeps running in
   * the service (a service is shared state: it is not interrupted mid-call).
   */
  signal?: AbortSignal | undefined;
}

/**
 * A service running in its own worker. The module's default export is the object to expose,
 * or a (possibly async) factory that builds it once.
 *
 * @example
 * // dictionary.ts
 * export default async () => { const words = await load(); return { has: (w: string) => words.has(w) }; };
 * // main.ts
 * await using dict = await engine.service<Dictionary>(new URL('./dictionary.js', import.meta.url));
 * await dict.api.has('tandem');
 * await dict.call('has', ['tandem'], { signal });
 */
export class Service<Api extends object> {
  readonly name: string;
  /** The methods, as plain async calls. */
  readonly api: ServiceApi<Api>;
  /** comlink's own proxy, for what `api` does not cover (nested objects, `Comlink.proxy` callbacks). */
  readonly remote: Remote<Api>;
  readonly #worker: Worker;
  readonly #pending = new Set<Deferred<unknown>>();
  #closed = false;
  #closing: Promise<void> | undefined;

  /**
   * Starts the worker and waits until the service object is built.
   *
   * @throws TaskModuleLoadError (`ERR_TANDEM_TASK_MODULE_LOAD`) when the module or its factory fails.
   */
  static async start<Api extends object>(module: URL | string): Promise<Service<Api>> {
    if (!(module instanceof URL) && typeof module !== 'string') {
      throw new InvalidArgumentError("Expected the service module's URL or path");
    }
    useTandemErrorsInComlink();
    const moduleUrl = module instanceof URL ? module.href : pathToFileURL(module).href;
    const workerData: ServiceBootData = { moduleUrl };
    const worker = new Worker(entryUrl, { workerData });
    try {
      await ready(worker);
    } catch (error) {
      await worker.terminate();
      throw error;
    }
    return new Service<Api>(moduleUrl, worker);
  }

  private constructor(name: string, worker: Worker) {
    this.name = name;
    this.#worker = worker;
    this.remote = wrap<Api>(nodeEndpoint(worker));
    this.api = new Proxy({} as ServiceApi<Api>, {
      get: (_, method) =>
        typeof method === 'string'
          ? (...args: unknown[]) => this.call(method as MethodName<Api>, args as never)
          : undefined,
    });
    worker.on('error', (cause) => this.#fail(undefined, cause));
    worker.on('exit', (code) => this.#fail(code, undefined));
    // An idle service does not keep the process alive; a pending call does.
    worker.unref();
  }

  /**
   * Calls `method(...args)` in the service.
   *
   * @throws ServiceClosedError (`ERR_TANDEM_SERVICE_CLOSED`) after `close()`;
   * WorkerCrashedError (`ERR_TANDEM_WORKER_CRASHED`) when the service's worker dies; the
   * method's own error, rebuilt; `signal.reason` when abandoned.
   */
  call<Name extends MethodName<Api>>(
    method: Name,
    args: Parameters<Method<Api, Name>>,
    options: CallOptions = {},
  ): ReturnType<Method<Api, Name>> {
    return this.#call(method, args, options) as ReturnType<Method<Api, Name>>;
  }

  async #call(method: string, args: unknown[], { signal }: CallOptions): Promise<unknown> {
    checkSignal('options.signal', signal);
    signal?.throwIfAborted();
    if (this.#closed) throw new ServiceClosedError(this.name);
    const call = deferred<unknown>();
    this.#pending.add(call);
    if (this.#pending.size === 1) this.#worker.ref();
    const onAbort = () => call.reject(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const target = this.remote as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    target[method]!(...args).then(call.resolve, call.reject);
    try {
      return await call.promise;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#pending.delete(call);
      // Once closing, the worker stays ref'd until it has ended (see #close).
      if (this.#pending.size === 0 && this.#closing === undefined) this.#worker.unref();
    }
  }

  #fail(exitCode: number | undefined, cause: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const call of this.#pending) {
      call.reject(new WorkerCrashedError(`service ${this.name}`, exitCode, { cause }));
    }
  }

  /** Rejects pending calls with `ServiceClosedError` and ends the worker. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const wasOpen = !this.#closed;
    this.#closed = true;
    if (wasOpen) for (const call of this.#pending) call.reject(new ServiceClosedError(this.name));
    this.remote[releaseProxy]();
    // An idle service is unref'd; hold the loop open until the worker has really ended.
    this.#worker.ref();
    await this.#worker.terminate();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function ready(worker: Worker): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (typeof message !== 'object' || message === null || !(SERVICE_READY_KEY in message))
        return;
      cleanup();
      const ready = message as ServiceReady;
      if (ready[SERVICE_READY_KEY]) resolve();
      else reject(deserializeError(ready.error));
    };
    const onError = (cause: unknown) => {
      cleanup();
      reject(new WorkerCrashedError('service start-up', undefined, { cause }));
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new WorkerCrashedError('service start-up', code));
    };
    const cleanup = () => {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    };
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
}
