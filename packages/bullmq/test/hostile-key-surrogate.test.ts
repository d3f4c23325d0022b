// Idempotency keys that are not well-formed Unicode. A lone surrogate has no UTF-8 form: hashed
// as UTF-8 every one becomes U+FFFD, so '\ud800' and '\udfff' made the same job id, and the
// second run got the first one's result. Such a key is refused instead.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keyedJobId } from '../src/job-id.ts';

test('two keys never share a job id: a lone surrogate is refused with a code', () => {
  for (const key of ['\ud800', '\udfff', 'a\ud83d', '\ude00b']) {
    assert.throws(() => keyedJobId('square', key), { code: 'ERR_TANDEM_INVALID_ARGUMENT' }, key);
  }
  // A well-formed pair (an emoji) and U+FFFD itself are ordinary keys, hashed apart.
  const emoji = keyedJobId('square', '\ud83d\ude00');
  const replacement = keyedJobId('square', '\ufffd');
  assert.notEqual(emoji, replacement);
  assert.equal(keyedJobId('square', '\ud83d\ude00'), emoji);
  assert.equal(keyedJobId('square', 'plain-key.1'), 'k-square-plain-key.1');
});
