#!/usr/bin/env node
// Uses the packages as someone outside this monorepo would (run by .ci/run, not by `pnpm test`):
//
// 1. builds, then `pnpm pack`s @tandem/workers, @tandem/core, @tandem/prometheus and @tandem/bullmq;
// 2. looks inside the tarballs: no `workspace:` dependency left, the LICENSE shipped, every
//    `exports` target present, every source map's sources present (the packages ship src/
//    for that: stack traces under --enable-source-maps and go-to-definition land in the real
//    TypeScript, for a few dozen kB);
// 3. installs the tarballs, prom-client@15, typescript@5.9 and @types/node@20 with npm into a
//    fresh project;
// 4. type-checks a consumer (an Engine, a task module, a service, a scope, a metrics scrape) with tsc's default
//    settings except `module: NodeNext` — no skipLibCheck, so our .d.ts and those they pull
//    in must compile for everyone — then compiles it and runs it;
// 5. does the same with the README's own tasks.ts, dictionary.ts, main.ts and tsconfig.json,
//    following its "Running it" steps (`tsc`, then `node main.js`).
//
//   node scripts/pack-check.mjs [--keep]     (--keep leaves the temporary folder for a look)
//
// Needs the npm registry (for typescript and @types/node). Exits 1 listing every problem.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const keep = process.argv.includes('--keep');
const work = mkdtempSync(join(tmpdir(), 'tandem-pack-'));
const problems = [];

function sh(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.error) throw result.error;
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
}

function step(title, fn) {
  const before = problems.length;
  fn();
  const failed = problems.length > before;
  console.log(`${failed ? '✖' : '✔'} ${title}`);
  for (const problem of problems.slice(before)) console.log(indent(problem));
}

function fail(message, output = '') {
  problems.push(output ? `${message}\n${indent(output)}` : message);
}

function indent(text) {
  return text.replace(/^/gm, '    ');
}

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

// 1. Build and pack.
const packages = ['workers', 'core', 'prometheus', 'bullmq'];
const tarballs = join(work, 'tarballs');
step('build and pack @tandem/workers, @tandem/core, @tandem/prometheus and @tandem/bullmq', () => {
  const build = sh('pnpm', ['build'], root);
  if (!build.ok) return fail('pnpm build failed', build.output);
  for (const name of packages) {
    const pack = sh('pnpm', ['pack', '--pack-destination', tarballs], join(root, 'packages', name));
    if (!pack.ok) fail(`pnpm pack failed in packages/${name}`, pack.output);
  }
});
const tgzs = existsSync(tarballs) ? readdirSync(tarballs).map((f) => join(tarballs, f)) : [];

// 2. What the tarballs hold.
const license = readFileSync(join(root, 'LICENSE'), 'utf8');
step('tarballs: dependencies, LICENSE, exports, source maps', () => {
  if (tgzs.length !== packages.length) {
    return fail(`expected ${packages.length} tarballs, got ${tgzs.length}`);
  }
  for (const tgz of tgzs) {
    const dir = join(work, 'unpacked', relative(tarballs, tgz));
    mkdirSync(dir, { recursive: true });
    const untar = sh('tar', ['-xzf', tgz, '-C', dir], root);
    if (!untar.ok) return fail(`cannot unpack ${tgz}`, untar.output);
    const pkg = join(dir, 'package');
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
    const name = manifest.name;
    for (const [dep, spec] of Object.entries(manifest.dependencies ?? {})) {
      if (String(spec).startsWith('workspace:')) fail(`${name}: dependency ${dep} is "${spec}"`);
    }
    if (!existsSync(join(pkg, 'LICENSE'))) fail(`${name}: no LICENSE in the tarball`);
    else if (readFileSync(join(pkg, 'LICENSE'), 'utf8') !== license) {
      fail(`${name}: its LICENSE differs from the repository's (copy LICENSE into the package)`);
    }
    for (const [bin, target] of Object.entries(manifest.bin ?? {})) {
      const file = join(pkg, target);
      if (!existsSync(file)) fail(`${name}: bin "${bin}" → ${target} is missing`);
      else if (!readFileSync(file, 'utf8').startsWith('#!/usr/bin/env node')) {
        fail(`${name}: bin "${bin}" → ${target} does not start with #!/usr/bin/env node`);
      }
    }
    for (const [subpath, targets] of Object.entries(manifest.exports ?? {})) {
      for (const target of Object.values(targets)) {
        if (!existsSync(join(pkg, target)))
          fail(`${name}: exports["${subpath}"] → ${target} is missing`);
      }
    }
    for (const file of walk(pkg)) {
      if (!file.endsWith('.map')) continue;
      const { sources = [] } = JSON.parse(readFileSync(file, 'utf8'));
      for (const source of sources) {
        if (!existsSync(join(dirname(file), source))) {
          fail(`${name}: ${relative(pkg, file)} points at ${source}, which is not shipped`);
        }
      }
    }
  }
});

// 3. A fresh project with the tarballs installed.
const consumer = join(work, 'consumer');
let installed = false;
step(
  'npm: a fresh project installs the tarballs, prom-client@15, typescript@5.9, @types/node@20',
  () => {
    mkdirSync(consumer);
    const init = sh('npm', ['init', '-y'], consumer);
    if (!init.ok) return fail('npm init failed', init.output);
    const manifest = JSON.parse(readFileSync(join(consumer, 'package.json'), 'utf8'));
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ ...manifest, type: 'module' }));
    const install = sh(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        ...tgzs,
        'prom-client@15',
        'typescript@5.9',
        '@types/node@20',
      ],
      consumer,
    );
    if (!install.ok) return fail('npm install failed', install.output);
    installed = true;
  },
);

const tsc = join(consumer, 'node_modules/typescript/bin/tsc');

/** Runs tsc on `dir` with `config`; reports its errors. */
function typeCheck(dir, config) {
  const compile = sh(process.execPath, [tsc, '-p', join(dir, config)], dir);
  if (compile.ok) return;
  const comlink = /comlink/.test(compile.output)
    ? " (comlink's DOM types reach the consumer through @tandem/workers' service.d.ts)"
    : '';
  const count = compile.output.match(/error TS/g)?.length ?? 0;
  fail(`tsc -p ${config}: ${count} error(s)${comlink}`, compile.output);
}

/** Type-checks and compiles `dir` with its tsconfig.json, then runs main.js there. */
function compileAndRun(dir, expected) {
  typeCheck(dir, 'tsconfig.json');
  if (!existsSync(join(dir, 'main.js'))) return fail('tsc emitted no main.js');
  const run = sh(process.execPath, ['main.js'], dir);
  if (!run.ok) fail('node main.js failed', run.output);
  else if (!run.output.includes(expected)) {
    fail(`node main.js did not print "${expected}"`, run.output);
  }
}

// 4. A consumer under tsc's defaults (plus NodeNext), no skipLibCheck.
const files = {
  'tasks.ts': `import { defineTasks } from '@tandem/workers';

export default defineTasks({
  wordCount(text: string) {
    return text.split(/\\s+/).filter(Boolean).length;
  },
});
`,
  'dictionary.ts': `export default function build() {
  const words = new Set(['tandem']);
  return { has: (word: string) => words.has(word) };
}
export type Dictionary = ReturnType<typeof build>;
`,
  'main.ts': `import { Engine, type TaskGroupError } from '@tandem/core';
import { collectEngineMetrics } from '@tandem/prometheus';
import { Registry } from 'prom-client';
import type { Dictionary } from './dictionary.js';
import type tasks from './tasks.js';

const engine = await Engine.start<typeof tasks>({ tasks: new URL('./tasks.js', import.meta.url) });
const registry = new Registry();
const metrics = collectEngineMetrics(engine, { registry });
try {
  const words: number = await engine.run('wordCount', 'packed, installed, compiled and run');
  const counts = await engine.map('wordCount', ['a b', 'c d e'], { batch: 2 });
  const dict = await engine.service<Dictionary>(new URL('./dictionary.js', import.meta.url));
  const known = await dict.api.has('tandem');
  await engine.scope({ timeout: 5_000 }, async (s) => {
    s.spawn((signal) => engine.run('wordCount', 'x y', { signal }));
  });
  const failure: TaskGroupError | undefined = undefined;
  const scraped = await registry.metrics();
  const ok = /^tandem_tasks_total\\{task="wordCount",outcome="ok"\\} (\\d+)$/m.exec(scraped)?.[1];
  console.log(\`consumer ok: \${words} \${counts.join(',')} \${known} \${failure} \${ok}\`);
} finally {
  metrics.close();
  await engine.close();
}
`,
  // Type-checked with the rest, not run (it needs a Redis): the one-line move to BullMQ.
  'remote.ts': `import { bullmq, startWorker } from '@tandem/bullmq';
import { Engine } from '@tandem/core';
import type tasks from './tasks.js';

export async function remote(url: string): Promise<number> {
  const worker = await startWorker({ tasks: new URL('./tasks.js', import.meta.url), connection: url, queue: 'pack' });
  const engine = await Engine.start<typeof tasks>({ backend: bullmq({ connection: url, queue: 'pack' }) });
  try {
    return await engine.run('wordCount', 'typed across machines');
  } finally {
    await engine.close();
    await worker.close();
  }
}
`,
  'tsconfig.json': `{ "compilerOptions": { "module": "NodeNext" }, "include": ["*.ts"] }\n`,
  // tsc's default lib has the DOM's types; a Node project usually leaves them out
  // (@tsconfig/node20 sets lib ES2023): our types must not need them.
  'tsconfig.node.json': `{ "extends": "./tsconfig.json", "compilerOptions": { "lib": ["ES2023"], "noEmit": true } }\n`,
};
step('consumer: tsc defaults + module NodeNext (no skipLibCheck), compiled and run', () => {
  if (!installed) return fail('skipped: nothing installed');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(consumer, name), text);
  compileAndRun(consumer, 'consumer ok: 5 2,3 true undefined 3');
});
step('consumer: the tandem-worker bin is installed and answers --help', () => {
  if (!installed) return fail('skipped: nothing installed');
  const help = sh(join(consumer, 'node_modules/.bin/tandem-worker'), ['--help'], consumer);
  if (!help.ok || !help.output.includes('--tasks'))
    fail('tandem-worker --help failed', help.output);
});
step('consumer: the same without the DOM types (lib ES2023, as a Node project sets it)', () => {
  if (!installed) return fail('skipped: nothing installed');
  typeCheck(consumer, 'tsconfig.node.json');
});

// 5. The README's own files and steps.
step(
  'README: its tasks.ts, dictionary.ts, main.ts and tsconfig.json, `tsc` then `node main.js`',
  () => {
    if (!installed) return fail('skipped: nothing installed');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const dir = join(consumer, 'readme'); // inside the project: same node_modules
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    for (const name of ['tasks.ts', 'dictionary.ts', 'main.ts']) {
      const block = new RegExp(
        `\`\`\`ts\\n(// ${name.replace('.', '\\.')}\\n[\\s\\S]*?)\`\`\``,
      ).exec(readme);
      if (!block) return fail(`README.md has no \`\`\`ts block starting with "// ${name}"`);
      writeFileSync(join(dir, name), block[1]);
    }
    const tsconfig = /^\s*```json\n\s*(\{ "compilerOptions"[^\n]*)\n\s*```/m.exec(readme);
    if (!tsconfig) return fail('README.md has no one-line ```json tsconfig block');
    writeFileSync(join(dir, 'tsconfig.json'), tsconfig[1]);
    // main.ts ends by printing engine.stats(): its pool section names every default.
    compileAndRun(dir, 'concurrentTasksPerWorker');
  },
);

if (keep) console.log(`\nkept ${work}`);
else rmSync(work, { recursive: true, force: true });
if (problems.length > 0) {
  console.log(`\npack-check: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log('\npack-check: the packed packages install, type-check and run outside the workspace');
