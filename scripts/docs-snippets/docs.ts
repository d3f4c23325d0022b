/**
 * The markdown files whose code blocks are tests: README.md and docs/*.md.
 *
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { redisServerBinary } from '../redis/test-redis.js';
import { type Block, extractBlocks } from './extract.js';

/**
 * Every block of README.md and docs/*.md, in order. Without a `redis-server` binary, blocks
 * with the `redis` prelude are type-checked but not run (listed as skipped, loudly); under CI
 * they run, and fail, since CI must have one.
 */
export function docBlocks(root: string): Block[] {
  const docs = [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((name) => name.endsWith('.md'))
      .sort()
      .map((name) => `docs/${name}`),
  ];
  const blocks = docs.flatMap((doc) => extractBlocks(doc, readFileSync(join(root, doc), 'utf8')));
  if (process.env.CI || redisServerBinary() !== undefined) return blocks;
  return blocks.map((block) =>
    block.preludes.includes('redis') && block.noRun === undefined
      ? { ...block, noRun: 'SKIPPED: no redis-server binary (apt-get install -y redis-server)' }
      : block,
  );
}
