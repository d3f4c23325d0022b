// Fuzz: the engine as a hostile user meets it (see properties/engine.ts): start and close
// options, CPU work in cancelled and expiring scopes, callback contexts, services.
import { test } from 'node:test';
import { fuzzInChild } from '../../../workers/test/fuzz/support/child.ts';

test('fuzz: engine options, scoped CPU work, callback contexts, service calls and probes', (t) =>
  fuzzInChild(t, [new URL('./properties/engine.ts', import.meta.url)]));
