import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rateOf, spreadOf } from '../src/runner/spread.ts';

test('spreadOf gives the median (odd and even counts) with min and max', () => {
  assert.deepEqual(spreadOf([3, 1, 2]), { median: 2, min: 1, max: 3, count: 3, values: [3, 1, 2] });
  assert.equal(spreadOf([4, 1, 3, 2]).median, 2.5);
});

test('spreadOf rejects an empty list', () => {
  assert.throws(() => spreadOf([]), RangeError);
});

test('rateOf turns durations into rates, swapping the bounds', () => {
  const rate = rateOf(spreadOf([100, 200, 400]), 1_000);
  assert.equal(rate.median, 5);
  assert.equal(rate.min, 2.5);
  assert.equal(rate.max, 10);
  assert.deepEqual(rate.values, [10, 5, 2.5]);
});
