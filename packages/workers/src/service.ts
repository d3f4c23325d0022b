/**
 * Long-lived services: one dedicated worker that keeps costly state (a dictionary, a compiled
 * model) and answers calls through comlink. Tandem adds what comlink leaves out: every call
 * settles (a crash of the worker rejects all pending calls with `WorkerCrashedError`; comlink
 * alone never settles them, its issue #601), calls take a signal, errors keep their identity,
 * and what cannot cross threads is refused with a coded error naming its path.
 *
 * @module
 */
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { releaseProxy, wrap } from 'comlink';
import { deserializeError } from './codec.js';
import { nodeEndpoint, uncloneableArguments } from './comlink-endpoint.js';
import { useTandemErrorsInComlink } from './comlink-errors.js';
import {
  InvalidArgumentError,
  ServiceClosedError,
  StartTimeoutError,
  WorkerCrashedError,
} from './errors.js';
import { type Deferred, deferred } from './internal/deferred.js';
import { SERVICE_READY_KEY, type ServiceBootData, type ServiceReady } from './service-protocol.js';
import { startTimer } from './timer.js';
import { checkDuration, checkSignal } from './validate.js';

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

/** Options of {@link Service.start}. */
export interface ServiceStartOptions {
  /** Abandons the start: it rejects with `signal.reason` and the worker is terminated. */
  signal?: AbortSignal | undefined;
  /**
   * Ms the module (and its factory) may take to build the service; past it the start rejects
   * with `StartTimeoutError` and the worker is terminated. Default 30 000; `Infinity` waits
   * for ever.
   */
  startTimeout?: number | undefined;
}

/**
 * Names that callers and tools probe on any object: `await` and `Promise.resolve` look for
 * `then`, `JSON.stringify` for `toJSON`, test frameworks and inspectors for the rest. On
 * {@link Service.api} they are not remote methods (call a method with one of these names
 * through {@link Service.call}).
 */
const probes = new Set([
  'then',
  'toJSON',
  'inspect',
  'asymmetricMatch',
  '$$typeof',
  'nodeType',
  'tagName',
  '@@__IMMUTABLE_ITERABLE__@@',
  '@@__IMMUTABLE_RECORD__@@',
  '_isMockFunction',
  '__esModule',
  ...Object.getOwnPropertyNames(Object.prototype),
]);

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
  /**
   * The methods, as plain async calls: `await service.api.has('x')`. Not thenable: `then`,
   * `toJSON`, `constructor`, `toString`, `valueOf`, symbols and other names that tools probe
   * are not remote methods here (they read as `undefined`), so `await service.api`,
   * `JSON.stringify(service.api)` and `util.inspect(service.api)` never call the service.
   */
  readonly api: ServiceApi<Api>;
  /**
   * Resolves once the service's worker has ended, after `close()` or a crash; never rejects.
   * An owner (the Engine) uses it to forget closed services.
   */
  readonly closed: Promise<void>;
  readonly #worker: Worker;
  /** The methods the service object had when it was built. */
  readonly #known: Set<string>;
  readonly #remote: Record<string, (...args: unknown[]) => Promise<unknown>>;
  readonly #pending = new Set<Deferred<unknown>>();
  /** No more calls: closed, closing or crashed. */
  #stopped = false;
  #closing: Promise<void> | undefined;

  /**
   * Starts the worker and waits until the service object is built.
   *
   * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`) or OutOfRangeError
   * (`ERR_TANDEM_OUT_OF_RANGE`) for a bad module or option; TaskModuleLoadError
   * (`ERR_TANDEM_TASK_MODULE_LOAD`) when the module or its factory fails; StartTimeoutError
   * (`ERR_TANDEM_START_TIMEOUT`) past `startTimeout`; WorkerCrashedError
   * (`ERR_TANDEM_WORKER_CRASHED`) when the worker exits while starting; `signal.reason` when
   * aborted. Whatever the failure, the worker is terminated before the promise rejects.
   */
  static async start<Api extends object>(
    module: URL | string,
    options: ServiceStartOptions = {},
  ): Promise<Service<Api>> {
    const moduleUrl = toModuleUrl(module);
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`Expected options to be an object, got ${typeof options}`);
    }
    const { signal, startTimeout = 30_000 } = options;
    checkSignal('options.signal', signal);
    checkDuration('options.startTimeout', startTimeout);
    signal?.throwIfAborted();
    useTandemErrorsInComlink();
    const workerData: ServiceBootData = { moduleUrl };
    const worker = new Worker(entryUrl, { workerData });
    let methods: string[];
    try {
      methods = await ready(worker, moduleUrl, signal, startTimeout);
    } catch (error) {
      await worker.terminate();
      throw error;
    }
    return new Service<Api>(moduleUrl, worker, methods);
  }

  private constructor(name: string, worker: Worker, methods: string[]) {
    this.name = name;
    this.#worker = worker;
    this.#known = new Set(methods);
    this.#remote = wrap(nodeEndpoint(worker) as Parameters<typeof wrap>[0]) as never;
    this.api = this.#methods();
    const ended = deferred<void>();
    this.closed = ended.promise;
    worker.on('error', (cause) => this.#fail(undefined, cause));
    worker.on('exit', (code) => {
      this.#fail(code, undefined);
      ended.resolve();
    });
    // An idle service does not keep the process alive; a pending call does.
    worker.unref();
  }

  #methods(): ServiceApi<Api> {
    const name = this.name;
    // The target gives the proxy a face of its own for String(), util.inspect and
    // Object.prototype.toString, none of which reaches the service.
    const face = {
      [Symbol.toStringTag]: 'ServiceApi',
      [Symbol.toPrimitive]: () => `[ServiceApi ${name}]`,
      [Symbol.for('nodejs.util.inspect.custom')]: () => `ServiceApi <${name}>`,
    };
    return new Proxy(face as unknown as ServiceApi<Api>, {
      get: (target, key) => {
        if (typeof key === 'symbol') return Reflect.get(target, key);
        if (probes.has(key)) return undefined;
        return (...args: unknown[]) => this.#call(key, args, {});
      },
    });
  }

  /**
   * Calls `method(...args)` in the service.
   *
   * @throws ServiceClosedError (`ERR_TANDEM_SERVICE_CLOSED`) after `close()`;
   * WorkerCrashedError (`ERR_TANDEM_WORKER_CRASHED`) when the service's worker dies;
   * UncloneableInputError (`ERR_TANDEM_UNCLONEABLE_INPUT`) when an argument cannot be sent,
   * UncloneableResultError (`ERR_TANDEM_UNCLONEABLE_RESULT`) when the result cannot be sent
   * back (both with the culprit's `path`); the method's own error, rebuilt; `signal.reason`
   * when abandoned; InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`) for a bad argument.
   */
  call<Name extends MethodName<Api>>(
    method: Name,
    args: Parameters<Method<Api, Name>>,
    options: CallOptions = {},
  ): ReturnType<Method<Api, Name>> {
    return this.#call(method, args, options) as ReturnType<Method<Api, Name>>;
  }

  async #call(method: string, args: unknown[], options: CallOptions): Promise<unknown> {
    if (typeof method !== 'string') {
      throw new InvalidArgumentError(`Expected method to be a string, got ${typeof method}`);
    }
    if (!Array.isArray(args)) {
      throw new InvalidArgumentError(`Expected args to be an array, got ${typeof args}`);
    }
    if (!this.#known.has(method)) {
      throw new InvalidArgumentError(
        `The service ${this.name} has no method "${method}". Its methods: ${[...this.#known].join(', ') || '(none)'}.`,
      );
    }
    if (method === 'then') {
      // comlink answers `then` itself on its root proxy (so that it is not thenable).
      throw new InvalidArgumentError('A service method named "then" cannot be called');
    }
    const signal = checkSignal('options.signal', options?.signal);
    signal?.throwIfAborted();
    if (this.#stopped) throw new ServiceClosedError(this.name);
    let sent: Promise<unknown>;
    try {
      sent = this.#remote[method]!(...args);
    } catch (error) {
      // comlink reads each argument for its own markers before sending: a Proxy that throws
      // on that read (a revoked one) fails here, synchronously.
      throw uncloneableArguments(method, args) ?? error;
    }
    const call = deferred<unknown>();
    this.#pending.add(call);
    if (this.#pending.size === 1) this.#worker.ref();
    const onAbort = () => call.reject(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    sent.then(call.resolve, call.reject);
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
    if (this.#stopped) return;
    this.#stopped = true;
    const error = new WorkerCrashedError(`service ${this.name}`, exitCode, {
      cause,
      next: 'closed',
    });
    for (const call of this.#pending) call.reject(error);
  }

  /** Rejects pending calls with `ServiceClosedError` and ends the worker. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const wasOpen = !this.#stopped;
    this.#stopped = true;
    if (wasOpen) for (const call of this.#pending) call.reject(new ServiceClosedError(this.name));
    (this.#remote as unknown as Record<symbol, () => void>)[releaseProxy]!();
    // An idle service is unref'd; hold the loop open until the worker has really ended.
    this.#worker.ref();
    await this.#worker.terminate();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function toModuleUrl(module: unknown): string {
  if (module instanceof URL) return module.href;
  if (typeof module === 'string' && module !== '') return pathToFileURL(module).href;
  throw new InvalidArgumentError(
    `Expected the service module's URL or path (a non-empty string), got ${module === null ? 'null' : typeof module}`,
  );
}

/** Resolves with the method names once the service is built; rejects (and the caller terminates) on any failure. */
function ready(
  worker: Worker,
  moduleUrl: string,
  signal: AbortSignal | undefined,
  startTimeout: number,
): Promise<string[]> {
  return new Promise<string[]>((resolve, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      signal?.removeEventListener('abort', onAbort);
      timer.cancel();
    };
    const fail = (error: unknown) => {
      cleanup();
      reject(error);
    };
    const onMessage = (message: unknown) => {
      if (typeof message !== 'object' || message === null || !(SERVICE_READY_KEY in message))
        return;
      const ready = message as ServiceReady;
      if (!ready[SERVICE_READY_KEY]) return fail(deserializeError(ready.error));
      cleanup();
      resolve(ready.methods);
    };
    const crashed = (code: number | undefined, cause: unknown) =>
      new WorkerCrashedError('service start-up', code, { cause, next: 'closed' });
    const onError = (cause: unknown) => fail(crashed(undefined, cause));
    const onExit = (code: number) => fail(crashed(code, undefined));
    const onAbort = () => fail(signal!.reason);
    const timer = startTimer(startTimeout, () =>
      fail(new StartTimeoutError(`The service ${moduleUrl}`, startTimeout)),
    );
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
