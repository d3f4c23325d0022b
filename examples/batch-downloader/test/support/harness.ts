/**
 * What the tests share: a fixture server, a temporary directory and an undici agent, each
 * closed or removed when the test ends.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Dispatcher } from 'undici';
import { createAgent, type Timeouts } from '../../src/download.ts';
import {
  type FixtureOptions,
  type FixtureServer,
  startFixtureServer,
} from '../../src/fixture-server.ts';

export async function fixture(t: TestContext, options: FixtureOptions): Promise<FixtureServer> {
  const server = await startFixtureServer(options);
  t.after(() => server.close());
  return server;
}

export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-downloader-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Generous timeouts unless a test is about one of them. */
export function agent(t: TestContext, timeouts: Partial<Timeouts> = {}): Dispatcher {
  const dispatcher = createAgent({
    connect: 10_000,
    headers: 10_000,
    bodyIdle: 10_000,
    ...timeouts,
  });
  t.after(() => dispatcher.close());
  return dispatcher;
}
