import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { usage } from '../src/cli-options.ts';
import { send } from './support/http.ts';
import { spawnScript } from './support/process.ts';

const markdown = '# Same\n\nEvery *mode* renders the same.\n';

for (const cpu of ['tandem', 'piscina', 'inline'] as const) {
  test(`src/main.ts --cpu ${cpu}: one JSON line with the URL on 127.0.0.1, then the same render`, {
    timeout: 60_000,
  }, async (t) => {
    const { child, url, exited } = spawnScript(t, 'src/main.ts', [
      '--port',
      '0',
      '--cpu',
      cpu,
      '--threads',
      '1',
    ]);
    const base = await url;
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
    const answer = await send(`${base}/render`, { body: { markdown } });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.html, '<h1>Same</h1>\n<p>Every <em>mode</em> renders the same.</p>\n');
    assert.equal((await send(`${base}/health`)).body.cpu, cpu);
    child.kill('SIGTERM');
    const exit = await exited;
    assert.equal(exit.code, 143, exit.stderr);
    assert.equal(exit.stdout, `${JSON.stringify({ url: base })}\n`, 'exactly one line on stdout');
  });
}

test('usage mistakes exit 2; --help exits 0 and lists every flag', {
  timeout: 60_000,
}, async (t) => {
  for (const args of [
    ['--cpu', 'gpu'],
    ['--port', '-1'],
    ['--threads', '0'],
    ['--port', '1e3'],
    ['--nope'],
  ]) {
    const exit = await spawnScript(t, 'src/main.ts', args).exited;
    assert.equal(exit.code, 2, args.join(' '));
  }
  const help = await spawnScript(t, 'src/main.ts', ['--help']).exited;
  assert.equal(help.code, 0);
  assert.equal(help.stdout.trim(), usage().trim());
});

test('the README documents every flag that --help lists, and the start script', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const flags = [...usage().matchAll(/^\s+(?:-\w, )?--([a-z0-9-]+)/gm)].map((m) => m[1]);
  assert.ok(flags.length >= 6);
  for (const flag of new Set(flags)) assert.ok(readme.includes(`--${flag}`), `--${flag}`);
  assert.ok(readme.includes('pnpm --filter @tandem/example-web-offload start'));
});
