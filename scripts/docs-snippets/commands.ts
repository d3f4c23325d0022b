/**
 * Checks the docs' shell blocks against the repository: every `pnpm <script>` names a script
 * of the root package.json (or of the package given by `--filter`), and every
 * `node <path>` into the repository's own folders names a file that exists. Commands meant
 * for the reader's own project (`npx tsc`, `node main.js`) are left alone.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Block } from './extract.js';

/** pnpm's own commands: they need no script. */
const BUILTINS = new Set(
  'add audit bin config create dlx env exec fetch i import init install licenses link list ls outdated pack prune publish rebuild remove rm root setup store unlink up update why'.split(
    ' ',
  ),
);
/** pnpm options that take a value (`--filter <pkg>`). */
const VALUED = new Set(['--filter', '-F', '--dir', '-C', '--workspace-root']);
/** Top-level folders of this repository: a `node` command pointing into one is ours. */
const OURS = /^(\.\/)?(scripts|\.ci|bench|packages|examples)\//;

/** The scripts of every workspace package, by package name (`''` for the root). */
function workspaceScripts(root: string): Map<string, Set<string>> {
  const dirs = ['.'];
  const workspace = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
  for (const [, pattern = ''] of workspace.matchAll(/^\s+-\s+['"]?([^'"\s]+)/gm)) {
    if (!pattern.endsWith('/*')) dirs.push(pattern);
    else {
      const parent = pattern.slice(0, -2);
      for (const name of readdirSync(join(root, parent))) dirs.push(join(parent, name));
    }
  }
  const scripts = new Map<string, Set<string>>();
  for (const dir of dirs) {
    const file = join(root, dir, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as {
      name?: string;
      scripts?: Record<string, string>;
    };
    const name = dir === '.' ? '' : (manifest.name ?? dir);
    scripts.set(name, new Set(Object.keys(manifest.scripts ?? {})));
  }
  return scripts;
}

/** The problems of one pnpm command line (its words after `pnpm`). */
function checkPnpm(words: readonly string[], scripts: Map<string, Set<string>>): string[] {
  let target = '';
  let i = 0;
  for (; i < words.length; i++) {
    const word = words[i] ?? '';
    if (VALUED.has(word)) {
      if (word === '--filter' || word === '-F') target = words[i + 1] ?? '';
      i++;
    } else if (!word.startsWith('-')) break;
  }
  const command = words[i];
  if (command === undefined) return [];
  const script = command === 'run' ? words[i + 1] : BUILTINS.has(command) ? undefined : command;
  if (script === undefined) return [];
  const known = scripts.get(target);
  if (!known) return [`no workspace package is named ${target}`];
  if (known.has(script)) return [];
  return [`"${script}" is not a script of ${target || 'the root package.json'}`];
}

/**
 * The problems of every `sh`/`bash`/`shell` block.
 *
 * @returns One line per problem, `docs/benchmarks.md:15: "benhc" is not a script of …`.
 */
export function checkCommands(root: string, blocks: readonly Block[]): string[] {
  const scripts = workspaceScripts(root);
  const problems: string[] = [];
  for (const block of blocks) {
    if (!['sh', 'bash', 'shell'].includes(block.lang) || block.skip !== undefined) continue;
    for (const [offset, line] of block.code.split('\n').entries()) {
      const code = line.replace(/(^|\s)#.*$/, '');
      for (const command of code.split(/&&|\|\||[;|]/)) {
        const words = command.trim().split(/\s+/).filter(Boolean);
        const where = `${block.doc}:${block.line + offset}`;
        if (words[0] === 'pnpm') {
          for (const problem of checkPnpm(words.slice(1), scripts)) {
            problems.push(`${where}: ${problem}`);
          }
        } else if (words[0] === 'node' || OURS.test(words[0] ?? '')) {
          const path =
            words[0] === 'node' ? words.find((w, k) => k > 0 && !w.startsWith('-')) : words[0];
          if (path && OURS.test(path) && !existsSync(join(root, path))) {
            problems.push(`${where}: ${path} does not exist`);
          }
        }
      }
    }
  }
  return problems;
}
