import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCommandLine, parseDuration, parseRange, parseSize } from '../src/cli-options.ts';

test('the defaults are those --help states', () => {
  const config = parseCommandLine([]);
  assert.equal(config.files, 120);
  assert.deepEqual([config.minSize, config.maxSize], [16 * 1024, 192 * 1024]);
  assert.deepEqual(config.latency, { min: 20, max: 80 });
  assert.deepEqual(config.failures, { retryAfter: 6, error: 6, reset: 6, stall: 4, missing: 3 });
  assert.deepEqual(config.timeouts, { connect: 5_000, headers: 10_000, bodyIdle: 1_000 });
  assert.equal(config.deadline, Number.POSITIVE_INFINITY);
  assert.equal(config.resume, false);
  assert.equal(config.urls, undefined);
});

test('sizes, durations and ranges read their units', () => {
  assert.equal(parseSize('x', '1000'), 1000);
  assert.equal(parseSize('x', '16k'), 16_384);
  assert.equal(parseSize('x', '1.5M'), 1_572_864);
  assert.equal(parseDuration('x', '250'), 250);
  assert.equal(parseDuration('x', '2s'), 2_000);
  assert.equal(parseDuration('x', '1.5m'), 90_000);
  assert.equal(parseDuration('x', 'none'), Number.POSITIVE_INFINITY);
  assert.deepEqual(parseRange('x', '50'), { min: 50, max: 50 });
});

test('every mistake is a UsageError naming the flag', () => {
  const mistakes = [
    ['--files', 'ten'],
    ['--files', '1e3'],
    ['--concurrency', '0'],
    ['--threads', '1000'],
    ['--min-size', '2m', '--max-size', '1m'],
    ['--max-size', '1t'],
    ['--latency', '-5'],
    ['--deadline', 'soon'],
    ['--connect-timeout', '0'],
    ['--files', '100000', '--max-size', '256m'],
    ['--resume', 'yes'],
    ['stray'],
  ];
  for (const args of mistakes) {
    assert.throws(() => parseCommandLine(args), { code: 'ERR_USAGE' }, args.join(' '));
  }
  // With --urls the fixture does not start, so its size does not matter.
  assert.equal(
    parseCommandLine(['--urls', 'u.txt', '--files', '100000', '--max-size', '256m']).files,
    100_000,
  );
});
