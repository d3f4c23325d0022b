import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Field, SLOT_WIDTH, SlotState } from '../src/protocol.ts';
import { SlotTable } from '../src/slot-table.ts';

/** A table with one task in `state`, as its worker would have left it. */
function taskIn(state: number) {
  const table = new SlotTable(4);
  const slot = table.acquire(1, 0, 0);
  const cells = new Int32Array(table.buffer);
  cells[slot * SLOT_WIDTH + Field.owner] = 7;
  Atomics.store(cells, slot * SLOT_WIDTH, state);
  return { table, slot };
}

test('cancel: a task not started is skipped, a running one is asked to stop', () => {
  const pending = taskIn(SlotState.pending);
  assert.equal(pending.table.cancel(pending.slot, SlotState.cancelled), true);
  assert.equal(pending.table.state(pending.slot), SlotState.cancelled);
  const running = taskIn(SlotState.running);
  assert.equal(running.table.cancel(running.slot, SlotState.timedOut), false);
  assert.equal(running.table.state(running.slot), SlotState.timedOut);
  assert.equal(taskIn(SlotState.running).table.culpritIn(7), 'running');
  assert.equal(taskIn(SlotState.done).table.culpritIn(7), undefined);
});

test('cancel leaves the mark of a task that ended its worker, and of one that finished', () => {
  // The worker marks `crashed` just before it exits; a cancel arriving then must not erase the
  // mark, or the tasks running beside the culprit would be blamed for its crash.
  const culprit = taskIn(SlotState.crashed);
  assert.equal(culprit.table.cancel(culprit.slot, SlotState.cancelled), false);
  assert.equal(culprit.table.state(culprit.slot), SlotState.crashed);
  assert.equal(culprit.table.culpritIn(7), 'marked');
  const done = taskIn(SlotState.done);
  assert.equal(done.table.cancel(done.slot, SlotState.timedOut), false);
  assert.equal(done.table.state(done.slot), SlotState.done);
  assert.equal(done.table.isRunning(done.slot), false);
});
