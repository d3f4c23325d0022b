#!/usr/bin/env node
// The long fuzz sweep: runs the fuzz test files (packages/*/test/fuzz) round after round, each
// round with a fresh random seed, more runs per property and a longer time limit than
// `pnpm test` gives them. Prints each round's seed; a failure replays with
//   FUZZ_SEED=<seed> FUZZ_RUNS=<runs> node scripts/run-tests.mjs test/fuzz/
//
// Usage: pnpm fuzz [--rounds N] [--scale K | --runs N] [--seed S] [--time-limit MS] [filter…]
//   --rounds      rounds of fresh seeds (default 3)
//   --scale       each property's default runs times K (default 10)
//   --runs        or: exactly N runs of every property
//   --seed        the first round's seed (later rounds: seed + 1, + 2, …); default random
//   --time-limit  ms a property may take, shrinking included (default 120 000)
//   filter…       only the fuzz files whose path contains one of these (e.g. lifecycle)
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '3' },
    scale: { type: 'string', default: '10' },
    runs: { type: 'string' },
    seed: { type: 'string' },
    'time-limit': { type: 'string', default: '120000' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  // The usage block at the top of this file, without the comment markers.
  const source = (await import('node:fs')).readFileSync(new URL(import.meta.url), 'utf8');
  const usage = source.split('\n').filter((line) => line.startsWith('//'));
  process.stdout.write(`${usage.map((line) => line.replace(/^\/\/ ?/, '')).join('\n')}\n`);
  process.exit(0);
}

const runner = new URL('./run-tests.mjs', import.meta.url).pathname;
const filters = positionals.length > 0 ? positionals.map((p) => `test/fuzz/${p}`) : ['test/fuzz/'];
const first = values.seed === undefined ? randomInt(2 ** 31) : Number(values.seed);
let failed = 0;
for (let round = 0; round < Number(values.rounds); round++) {
  const seed = first + round;
  const env = {
    ...process.env,
    FUZZ_SEED: String(seed),
    FUZZ_TIME_LIMIT: values['time-limit'],
    ...(values.runs === undefined ? { FUZZ_SCALE: values.scale } : { FUZZ_RUNS: values.runs }),
  };
  const how = values.runs === undefined ? `scale ${values.scale}` : `${values.runs} runs`;
  process.stderr.write(`\nfuzz round ${round + 1}/${values.rounds}: FUZZ_SEED=${seed} (${how})\n`);
  const result = spawnSync(process.execPath, [runner, ...filters], { env, stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    process.stderr.write(`fuzz round ${round + 1} FAILED: replay with FUZZ_SEED=${seed}\n`);
  }
}
process.stderr.write(`\nfuzz: ${failed} of ${values.rounds} rounds failed (seeds from ${first})\n`);
process.exit(failed === 0 ? 0 : 1);
