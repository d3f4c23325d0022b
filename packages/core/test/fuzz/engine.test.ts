// Fuzz: the engine as a hostile user meets it (see properties/): start and close options, CPU
// work in cancelled and expiring scopes, callback contexts, services.
import { test } from 'node:test';
import { fuzzInChild } from '../../../workers/test/fuzz/support/child.ts';

const property = (name: string) => new URL(`./properties/${name}.ts`, import.meta.url);

test('fuzz: engine options, scoped CPU work, callback contexts, service calls and probes', (t) =>
  fuzzInChild(t, [property('engine-options'), property('engine-work'), property('services')]));
