// One engine (and one service) shared by the core properties of a child process: starting a
// service loads tsx in its worker, a second.
import { Engine, type Service } from '@tandem/core';
import { settleWithin } from '../../../../workers/test/fuzz/support/bound.ts';
import { plainTasks } from '../../../../workers/test/fuzz/support/plain-tasks.ts';

/** What the properties call on an engine (the fixture is plain JavaScript, so untyped). */
export type AnyEngine = {
  run(name: string, input: unknown, options?: unknown): Promise<unknown>;
  map(name: string, inputs: unknown, options?: unknown): Promise<unknown>;
  stats(): ReturnType<Engine['stats']>;
  close(options?: unknown): Promise<void>;
  service<Api extends object>(module: URL | string): Promise<Service<Api>>;
};

let shared: Promise<AnyEngine> | undefined;
export function sharedEngine(): Promise<AnyEngine> {
  shared ??= Engine.start({
    tasks: plainTasks,
    threads: 2,
    execArgv: [],
    grace: 100,
  }) as Promise<never>;
  return shared;
}

let service: Promise<Service<Record<string, (...args: unknown[]) => unknown>>> | undefined;
export function sharedService() {
  service ??= sharedEngine().then((engine) =>
    engine.service(new URL('../fixtures/echo-service.ts', import.meta.url)),
  );
  return service;
}

export async function teardown(): Promise<void> {
  const engine = shared;
  shared = undefined;
  service = undefined;
  if (engine) await settleWithin((await engine).close());
}
