// Fuzz: the event-loop side under hostile options and programs (see properties/): time
// limits, channels, limiters, combinators, the concurrent map and retry.
import { test } from 'node:test';
import { fuzzInChild } from '../../../workers/test/fuzz/support/child.ts';

const property = (name: string) => new URL(`./properties/${name}.ts`, import.meta.url);

test('fuzz: sleep/timeout/scope options, channel and limiter programs, combinators, map, retry', (t) =>
  fuzzInChild(t, [
    property('time-options'),
    property('channel'),
    property('limiter'),
    property('combinators'),
    property('retry'),
  ]));
