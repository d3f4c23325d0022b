import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { analyse } from '../src/analyse.ts';

const text = (s: string) => Buffer.from(s, 'latin1');

test('counts lines, words and the most frequent words (ties by word), case-folded', () => {
  const result = analyse(text('The cat and the dog.\nA cat, THE end\nzebra'));
  assert.equal(result.lines, 3);
  assert.equal(result.words, 10);
  assert.equal(result.distinctWords, 7);
  assert.deepEqual(result.topWords.slice(0, 3), [
    { word: 'the', count: 3 },
    { word: 'cat', count: 2 },
    { word: 'a', count: 1 },
  ]);
  assert.equal(result.topWords.length, 5);
});

test('the hash is SHA-256 of the bytes; entropy is 0 for one byte value and 8 for all 256', () => {
  const uniform = Uint8Array.from({ length: 256 * 4 }, (_, i) => i % 256);
  const result = analyse(uniform);
  assert.equal(result.sha256, createHash('sha256').update(uniform).digest('hex'));
  assert.equal(result.entropy, 8);
  assert.equal(analyse(new Uint8Array(1000).fill(7)).entropy, 0);
  assert.deepEqual(analyse(new Uint8Array(0)), {
    sha256: createHash('sha256').update('').digest('hex'),
    bytes: 0,
    entropy: 0,
    lines: 0,
    words: 0,
    distinctWords: 0,
    topWords: [],
  });
});

test('runs of letters past 32 count as words but are not kept, so binary data cannot flood the map', () => {
  const result = analyse(text(`${'x'.repeat(40)} short ${'y'.repeat(33)}`));
  assert.equal(result.words, 3);
  assert.deepEqual(result.topWords, [{ word: 'short', count: 1 }]);
});

test('a throwing checkpoint stops the analysis with its error (how a cancelled task ends)', () => {
  const stop = new Error('cancelled');
  assert.throws(
    () =>
      analyse(new Uint8Array(200_000), () => {
        throw stop;
      }),
    (error) => error === stop,
  );
});
