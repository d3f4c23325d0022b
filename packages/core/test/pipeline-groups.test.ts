import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Envelope, type Group, GroupBook, newGroup } from '../src/internal/pipeline/groups.js';

function book(holdRows: boolean) {
  const written: unknown[] = [];
  const finished: (string | undefined)[][] = [];
  const b = new GroupBook(
    {
      write: (row) => written.push(row),
      finished: (g: Group) =>
        finished.push([...g.keys, ...(g.failed ? [`failed:${g.failed}`] : [])]),
    },
    holdRows,
  );
  return { b, written, finished };
}

const envelope = (value: unknown, group: Group): Envelope => ({ value, group });

test('holding rows: a fanned-out item is written and finished only once all its parts arrived', () => {
  const { b, written, finished } = book(true);
  const a = envelope('a', newGroup('a'));
  b.fanOut(a, 2);
  b.emit(envelope('a1', a.group), 'a1');
  assert.deepEqual(written, []);
  assert.deepEqual(finished, []);
  b.emit(envelope('a2', a.group), 'a2');
  assert.deepEqual(written, ['a1', 'a2']);
  assert.deepEqual(finished, [['a']]);
});

test('a batch across fanned-out items joins them: rows wait for the whole group, then go together', () => {
  const { b, written, finished } = book(true);
  const x = newGroup('x');
  const y = newGroup('y');
  const ex = envelope('x', x);
  const ey = envelope('y', y);
  b.fanOut(ex, 2); // x → x1, x2
  const x1 = envelope('x1', x);
  const x2 = envelope('x2', x);
  // batch [x1, y] into one value; x2 still travels on its own.
  const joined = b.merge([x1, ey]);
  b.emit(envelope(['x1', 'y'], joined), 'row1');
  assert.deepEqual(written, [], 'x2 still travels: row1 holds part of x, so it waits');
  b.emit(x2, 'row2');
  assert.deepEqual(written, ['row1', 'row2']);
  assert.deepEqual(finished, [['x', 'y']]);
});

test('a failure marks every item of its group failed; a filtered item finishes without a row', () => {
  const { b, written, finished } = book(false);
  const g = newGroup('p');
  const h = newGroup('q');
  const joined = b.merge([envelope(1, g), envelope(2, h)]);
  b.drop(envelope([1, 2], joined), true);
  const k = newGroup('r');
  b.drop(envelope(3, k), false);
  assert.deepEqual(written, []);
  assert.deepEqual(finished, [['p', 'q', 'failed:2'], ['r']]);
});

test('without holding, rows are written at once', () => {
  const { b, written } = book(false);
  const g = newGroup(undefined);
  b.fanOut(envelope('a', g), 2);
  b.emit(envelope('a1', g), 'a1');
  assert.deepEqual(written, ['a1']);
});
