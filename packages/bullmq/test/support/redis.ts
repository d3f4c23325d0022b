// Whether the tests that need a real Redis run: they skip loudly without `redis-server`, and
// fail under CI (where .ci/run installs it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redisServerBinary } from '../../../../scripts/redis/test-redis.ts';

export const noRedis: false | string =
  redisServerBinary() === undefined && 'no redis-server binary (apt-get install -y redis-server)';

/** Call once per test file. */
export function reportMissingRedis(): void {
  if (noRedis === false) return;
  if (process.env.CI) test('CI has redis-server (.ci/run installs it)', () => assert.fail(noRedis));
  console.error(`\n*** SKIPPED: ${noRedis}. ***\n`);
}

/**
 * `defer(fn)`: runs `fn` when the test ends, last registered first (node:test runs `t.after`
 * hooks in registration order, and a Redis stopped before the clients on it hangs their close).
 */
export function deferrer(t: { after(fn: () => unknown): void }): (fn: () => unknown) => void {
  const stack: (() => unknown)[] = [];
  t.after(async () => {
    for (const fn of stack.reverse()) await fn();
  });
  return (fn) => void stack.push(fn);
}
