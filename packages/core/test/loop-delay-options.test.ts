import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoopDelayMonitor } from '@tandem/core';

test('LoopDelayMonitor refuses a resolution Node cannot sample with a coded error', () => {
  const make = (resolution: unknown) => () => new LoopDelayMonitor(resolution as number);
  for (const resolution of [0, -1, Number.POSITIVE_INFINITY, 1e12]) {
    assert.throws(make(resolution), { code: 'ERR_TANDEM_OUT_OF_RANGE' }, String(resolution));
  }
  for (const resolution of [Number.NaN, 1.5, '10', null, Symbol('10')]) {
    assert.throws(make(resolution), { code: 'ERR_TANDEM_INVALID_ARGUMENT' }, String(resolution));
  }
  for (const resolution of [1, 60_000, undefined]) {
    const monitor = new LoopDelayMonitor(resolution);
    monitor.start();
    monitor.stop();
  }
});
