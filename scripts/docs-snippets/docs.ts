/**
 * The markdown files whose code blocks are tests: README.md and docs/*.md.
 *
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Block, extractBlocks } from './extract.js';

/** Every block of README.md and docs/*.md, in order. */
export function docBlocks(root: string): Block[] {
  const docs = [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((name) => name.endsWith('.md'))
      .sort()
      .map((name) => `docs/${name}`),
  ];
  return docs.flatMap((doc) => extractBlocks(doc, readFileSync(join(root, doc), 'utf8')));
}
