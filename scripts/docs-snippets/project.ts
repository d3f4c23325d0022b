/**
 * Lays the docs' code blocks out as a small ES module project in a temporary folder, the way
 * a user would have them: `@tandem/core`, `@tandem/workers`, `@tandem/prometheus` (with
 * its `prom-client`) and `@tandem/bullmq` (with `bullmq` and `ioredis`) in `node_modules`
 * (linked to this workspace's packages), each markdown
 * file's blocks side by side in a folder of their own (so `main.ts` can import
 * `./tasks.js`), and the fixtures of `docs/snippets/` next to them. A block's preludes are
 * put before its code; `lineOffset` maps lines back.
 *
 * @module
 */
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Block } from './extract.js';

/** One block written as a source file of the project. */
export interface SnippetFile {
  readonly block: Block;
  /** The source file (`<dir>/src/README/main.ts`). */
  readonly source: string;
  /** What runs: the compiled file for TypeScript, the block itself for JavaScript. */
  readonly output: string;
  /** Lines of preludes before the block's first line. */
  readonly lineOffset: number;
}

export interface SnippetProject extends Disposable {
  readonly dir: string;
  readonly srcDir: string;
  readonly outDir: string;
  /** The checked blocks (every `ts` and `js` block that is not `skip`ped), in document order. */
  readonly files: readonly SnippetFile[];
  /** The fixtures copied from `docs/snippets/` (type-checked with the blocks). */
  readonly fixtures: readonly string[];
}

/** The prelude names found in `docs/snippets/` (`<name>.prelude.ts`). */
export function preludeNames(root: string): string[] {
  return readdirSync(join(root, 'docs/snippets'))
    .filter((name) => name.endsWith('.prelude.ts'))
    .map((name) => name.slice(0, -'.prelude.ts'.length));
}

/** `README.md` → `README`, `docs/concurrency.md` → `docs-concurrency`. */
function folderOf(doc: string): string {
  return doc.replace(/\.md$/, '').replaceAll('/', '-');
}

/**
 * Writes the project. Blocks named by a first line `// name.ts` keep that name; the others
 * are `line-<N>.ts` (or `.mjs`).
 *
 * @throws Error for an unknown prelude, a prelude on a JavaScript block, or two blocks of one
 * document with the same file name.
 */
export function writeProject(root: string, blocks: readonly Block[]): SnippetProject {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-docs-'));
  const srcDir = join(dir, 'src');
  const outDir = join(dir, 'out');
  writeFileSync(join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
  mkdirSync(join(dir, 'node_modules/@tandem'), { recursive: true });
  for (const name of ['core', 'workers', 'prometheus', 'bullmq']) {
    symlinkSync(join(root, 'packages', name), join(dir, 'node_modules/@tandem', name), 'dir');
  }
  // Libraries the docs import as a user of the package that depends on them would:
  // docs/metrics.md prom-client's Registry, docs/bullmq.md BullMQ's and ioredis's types.
  for (const [pkg, library] of [
    ['prometheus', 'prom-client'],
    ['bullmq', 'bullmq'],
    ['bullmq', 'ioredis'],
  ] as const) {
    const from = join(root, 'packages', pkg, 'node_modules', library);
    symlinkSync(from, join(dir, 'node_modules', library), 'dir');
  }
  cpSync(join(root, 'docs/snippets'), join(srcDir, 'snippets'), {
    recursive: true,
    filter: (path) => !path.endsWith('.md'),
  });
  // The `redis` prelude starts the tests' own Redis (a redis-server of its own, AOF on).
  cpSync(join(root, 'scripts/redis/test-redis.ts'), join(srcDir, 'snippets/test-redis.ts'));
  const fixtures = readdirSync(join(srcDir, 'snippets'))
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(srcDir, 'snippets', name));

  const known = preludeNames(root);
  const files: SnippetFile[] = [];
  const taken = new Set<string>();
  for (const block of blocks) {
    if ((block.lang !== 'ts' && block.lang !== 'js') || block.skip !== undefined) continue;
    const where = `${block.doc}:${block.line}`;
    const folder = folderOf(block.doc);
    const name = block.fileName ?? `line-${block.line}.${block.lang === 'ts' ? 'ts' : 'mjs'}`;
    if (taken.has(`${folder}/${name}`)) throw new Error(`${where}: a second block named ${name}`);
    taken.add(`${folder}/${name}`);
    if (block.lang === 'js' && block.preludes.length > 0) {
      throw new Error(`${where}: preludes are TypeScript; a js block runs as it is written`);
    }
    const preludes = block.preludes.map((prelude) => {
      if (!known.includes(prelude)) {
        throw new Error(`${where}: unknown prelude "${prelude}" (known: ${known.join(', ')})`);
      }
      return readFileSync(join(root, 'docs/snippets', `${prelude}.prelude.ts`), 'utf8');
    });
    const head = preludes.join('');
    const source = join(srcDir, folder, name);
    mkdirSync(join(srcDir, folder), { recursive: true });
    writeFileSync(source, `${head}${block.code}\n`);
    const compiled = name.replace(/\.ts$/, '.js').replace(/\.mts$/, '.mjs');
    files.push({
      block,
      source,
      output: join(outDir, folder, compiled),
      lineOffset: head === '' ? 0 : head.split('\n').length - 1,
    });
  }
  return {
    dir,
    srcDir,
    outDir,
    files,
    fixtures,
    [Symbol.dispose]() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
