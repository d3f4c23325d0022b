import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bucketOf,
  createSketch,
  lowerBound,
  mergeSketch,
  quantile,
  record,
  sketchBuckets,
} from '../src/latency-sketch.ts';
import { ipKey, ipText } from '../src/parse.ts';

test('every value falls in a bucket whose lower bound is within 1/32 below it', () => {
  const values = [0, 1, 63, 64, 65, 127, 128, 1_000, 65_535, 1_000_000, 2 ** 31 - 1];
  for (let v = 1; v < 2 ** 31; v = Math.ceil(v * 1.7)) values.push(v);
  for (const value of values) {
    const bucket = bucketOf(value);
    assert.ok(bucket >= 0 && bucket < sketchBuckets, `${value} → ${bucket}`);
    const low = lowerBound(bucket);
    assert.ok(low <= value && value - low <= value / 32, `${value} → [${low}…)`);
    assert.equal(bucketOf(low), bucket);
  }
  assert.equal(bucketOf(2 ** 40), sketchBuckets - 1, 'huge values are clamped');
});

test('merging partial sketches in any order gives the sketch of the whole', () => {
  const values = Array.from({ length: 10_000 }, (_, i) => (i * 7_919) % 100_000);
  const whole = createSketch();
  for (const v of values) record(whole, v);
  const parts = [0, 1, 2].map((k) => {
    const part = createSketch();
    for (const v of values.filter((_, i) => i % 3 === k)) record(part, v);
    return part;
  });
  const forward = createSketch();
  for (const part of parts) mergeSketch(forward, part);
  const backward = createSketch();
  for (const part of parts.reverse()) mergeSketch(backward, part);
  assert.deepEqual(forward, whole);
  assert.deepEqual(backward, whole);
  assert.equal(quantile(createSketch(), 0.5), undefined);
  assert.equal(quantile(whole, 0.5), lowerBound(bucketOf(49_999)));
});

test('IPv4 clients become numbers; anything else stays text', () => {
  for (const ip of ['0.0.0.0', '10.0.0.1', '255.255.255.255', '192.168.1.20']) {
    assert.equal(typeof ipKey(ip), 'number', ip);
    assert.equal(ipText(ipKey(ip)), ip);
  }
  for (const text of [
    '256.0.0.1',
    '1.2.3',
    '1.2.3.4.5',
    '01.2.3.4',
    '1..2.3',
    '',
    '::1',
    'host',
    '1.2.3.4 ',
  ]) {
    assert.equal(ipKey(text), text, JSON.stringify(text));
  }
});
