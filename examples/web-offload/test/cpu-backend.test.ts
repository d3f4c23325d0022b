import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inlineBackend, piscinaBackend } from '../src/cpu-backend.ts';
import { ClientClosedError } from '../src/http-errors.ts';
import { renderMarkdown } from '../src/render.ts';

const never = new AbortController().signal;
const markdown = '# Peer\n\nThe *same* function.\n';
// A document that takes far longer than 1 ms to render (about 300 KB of markdown).
const long = '## Part\n\nWords, *more* words and a [link](http://example.test).\n\n'.repeat(5_000);

test('the piscina peer renders the same; a deadline rejects with ERR_TANDEM_TASK_TIMEOUT; an abort with its reason', async (t) => {
  const cpu = piscinaBackend(1);
  t.after(() => cpu.close());
  assert.deepEqual(
    await cpu.render({ markdown }, { signal: never, deadline: 60_000 }),
    renderMarkdown(markdown),
  );
  await assert.rejects(cpu.render({ markdown: long }, { signal: never, deadline: 1 }), {
    code: 'ERR_TANDEM_TASK_TIMEOUT',
  });
  const gone = new AbortController();
  const call = cpu.render({ markdown: long }, { signal: gone.signal, deadline: 60_000 });
  gone.abort(new ClientClosedError());
  await assert.rejects(call, { code: 'ERR_WEB_CLIENT_CLOSED' });
  assert.equal(cpu.shed(60_000), undefined);
});

test('inline renders on the loop, and not at all for a client already gone', async () => {
  const cpu = inlineBackend();
  assert.deepEqual(
    await cpu.render({ markdown }, { signal: never, deadline: 1 }),
    renderMarkdown(markdown),
  );
  await assert.rejects(
    cpu.render({ markdown }, { signal: AbortSignal.abort(new ClientClosedError()), deadline: 1 }),
    { code: 'ERR_WEB_CLIENT_CLOSED' },
  );
  assert.equal(cpu.shed(0), undefined);
});

test('render: the same words and digest for the same document; the checkpoint is called between slices', () => {
  let checkpoints = 0;
  const result = renderMarkdown(long, () => checkpoints++);
  assert.deepEqual(result, renderMarkdown(long));
  assert.ok(checkpoints > 10);
  assert.equal(renderMarkdown('').words, 0);
  assert.equal(renderMarkdown(' a\tb\u00a0c\n').words, 3);
  assert.throws(
    () =>
      renderMarkdown(long, () => {
        throw new ClientClosedError();
      }),
    { code: 'ERR_WEB_CLIENT_CLOSED' },
  );
});
