// Fuzz: starting and closing pools with arbitrary options, and arbitrary interleavings of
// run / abort / close / destroy / crash (see properties/).
import { test } from 'node:test';
import { fuzzInChild } from './support/child.ts';

const property = (name: string) => new URL(`./properties/${name}.ts`, import.meta.url);

test('fuzz: pool start and close options, interleavings of run/abort/close/crash', (t) =>
  fuzzInChild(t, [property('pool-options'), property('interleavings')]));
