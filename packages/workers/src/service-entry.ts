/**
 * The module a service worker runs: it loads the service module, builds its object (the
 * default export, or what the default-exported factory returns), exposes it through comlink
 * and tells the loop it is ready, or why it could not start.
 *
 * @module
 */
import { types } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import { expose } from 'comlink';
import { serializeError } from './codec.js';
import { nodeEndpoint } from './comlink-endpoint.js';
import { guardComlinkChecks, useTandemErrorsInComlink } from './comlink-errors.js';
import { TaskModuleLoadError } from './errors.js';
import { SERVICE_READY_KEY, type ServiceBootData, type ServiceReady } from './service-protocol.js';
import { isTypeScript, registerTypeScript } from './typescript-tasks.js';

const { moduleUrl } = workerData as ServiceBootData;
useTandemErrorsInComlink();
guardComlinkChecks();

try {
  if (isTypeScript(moduleUrl)) await registerTypeScript(moduleUrl);
  const module = (await import(moduleUrl)) as { default?: unknown };
  const exported = module.default;
  const built = typeof exported === 'function' ? exported() : exported;
  // Only a real promise is awaited: a service object may have a method named `then`.
  const target = types.isPromise(built) ? await built : built;
  expose(target, nodeEndpoint(parentPort!) as Parameters<typeof expose>[1]);
  parentPort!.postMessage({
    [SERVICE_READY_KEY]: true,
    methods: methodNames(target),
  } satisfies ServiceReady);
} catch (cause) {
  const error = serializeError(new TaskModuleLoadError(moduleUrl, { cause }));
  parentPort!.postMessage({ [SERVICE_READY_KEY]: false, error } satisfies ServiceReady);
}

/** The callable names of the service object (own and inherited, up to `Object.prototype`). */
function methodNames(target: unknown): string[] {
  const names = new Set<string>();
  for (
    let object = target;
    typeof object === 'object' && object !== null && object !== Object.prototype;
    object = Object.getPrototypeOf(object)
  ) {
    for (const name of Object.getOwnPropertyNames(object)) {
      if (name === 'constructor') continue;
      const descriptor = Object.getOwnPropertyDescriptor(object, name);
      if (typeof descriptor?.value === 'function') names.add(name);
    }
  }
  return [...names];
}
