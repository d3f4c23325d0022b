// Fuzz: hostile values through the pool (see properties/). Each child process runs several
// properties; `pnpm fuzz` runs them longer, over fresh seeds (scripts/fuzz.mjs).
import { test } from 'node:test';
import { fuzzInChild } from './support/child.ts';

const property = (name: string) => new URL(`./properties/${name}.ts`, import.meta.url);

test('fuzz: hostile inputs, thrown values, results, progress values and call options', (t) =>
  fuzzInChild(t, [
    property('hostile-inputs'),
    property('thrown-values'),
    property('returned-values'),
    property('call-options'),
  ]));
