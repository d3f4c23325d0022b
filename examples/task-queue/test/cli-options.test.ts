import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseCommandLine, usage } from '../src/cli-options.ts';

test('defaults: the whole demo here, its own Redis unless TANDEM_REDIS_URL says otherwise', () => {
  const config = parseCommandLine([], {});
  assert.equal(config.role, 'all');
  assert.equal(config.redis, undefined);
  assert.equal(config.queue, 'task-queue');
  assert.equal(parseCommandLine([], { TANDEM_REDIS_URL: 'redis://h:1' }).redis, 'redis://h:1');
  assert.equal(
    parseCommandLine(['--redis', 'redis://a:2'], { TANDEM_REDIS_URL: 'redis://h:1' }).redis,
    'redis://a:2',
  );
  assert.equal(parseCommandLine(['--', '--role', 'worker'], {}).role, 'worker');
});

test('mistakes are usage errors naming the flag', () => {
  for (const args of [
    ['--role', 'boss'],
    ['--jobs', '0'],
    ['--jobs', '1.5'],
    ['--size', 'NaN'],
    ['--threads', '-1'],
    ['--workers', '65'],
    ['--concurrency', '0'],
    ['--queue', 'a:b'],
    ['--redis', 'http://x'],
    ['--nope'],
    ['stray'],
  ]) {
    assert.throws(() => parseCommandLine(args, {}), { code: 'ERR_USAGE' }, args.join(' '));
  }
});

test('the README documents every flag that --help lists', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const flags = [...usage().matchAll(/^\s+(?:-\w, )?--([a-z-]+)/gm)].map((m) => m[1]);
  assert.ok(flags.length >= 8);
  for (const flag of flags) assert.ok(readme.includes(`\`--${flag}`), `--${flag}`);
});
