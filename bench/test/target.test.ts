import assert from 'node:assert/strict';
import { test } from 'node:test';
import { targetLine } from '../src/runner/markdown-table.ts';
import { judge, judgeTandem, notRun, unjudgedForQuickRun } from '../src/runner/target.ts';

const atMost = { statement: 'a ≤ 1.15 × b', comparison: '<=' as const, limit: 1.15 };
const atLeast = { statement: 'a ≥ b', comparison: '>=' as const, limit: 1 };

test('judge compares the ratio with the limit in the stated direction', () => {
  assert.equal(judge(atMost, 110, 100, '').status, 'met');
  assert.equal(judge(atMost, 120, 100, '').status, 'missed');
  assert.equal(judge(atLeast, 100, 100, '').status, 'met');
  assert.equal(judge(atLeast, 99, 100, '').status, 'missed');
});

test('a missing side means the target was not run, never met', () => {
  assert.equal(judge(atLeast, undefined, 100, 'no rows').status, 'not run');
  assert.equal(judge(atLeast, 100, 0, 'no rows').status, 'not run');
  assert.equal(notRun(atLeast, 'engine unavailable').detail, 'engine unavailable');
});

test('a missed target is printed as missed, with its ratio', () => {
  const line = targetLine(judge(atMost, 150, 100, 'Ratio of medians.'));
  assert.match(line, /\*\*MISSED\*\*/);
  assert.match(line, /ratio 1\.50×/);
});

test('an absolute target prints its value and unit instead of a ratio', () => {
  const line = targetLine(judge({ ...atMost, limit: 20, unit: 'ms' }, 3.5, 1, ''));
  assert.match(line, /3\.50 ms \(target <= 20 ms\)/);
});

test('a Tandem target is not run, with the reason, when the engine is unavailable', () => {
  const target = judgeTandem(atLeast, 'cannot import @tandem/core', 100, 50, 'Ratio of rates.');
  assert.equal(target.status, 'not run');
  assert.equal(target.ratio, undefined);
  assert.match(target.detail, /cannot import @tandem\/core/);
  assert.equal(judgeTandem(atLeast, undefined, 100, 50, '').status, 'met');
});

test('a quick run judges nothing but keeps the ratio', () => {
  const quick = unjudgedForQuickRun(judge(atMost, 150, 100, 'Ratio of medians.'));
  assert.equal(quick.status, 'not judged');
  assert.equal(quick.ratio, 1.5);
  assert.match(targetLine(quick), /NOT JUDGED \(quick sizes\)/);
  assert.match(targetLine(quick), /ratio 1\.50×/);
  assert.equal(unjudgedForQuickRun(judge(atMost, 100, 100, '')).status, 'not judged');
  const notRunTarget = notRun(atLeast, 'engine unavailable');
  assert.equal(unjudgedForQuickRun(notRunTarget), notRunTarget);
});
