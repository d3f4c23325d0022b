// biome-ignore-all lint/correctness/noUnusedVariables: a prelude declares names for the snippet after it
// Prelude `stubs`: stand-ins for the services the docs' examples talk to: getUser, getPosts,
// id, replicas, sql, servers, ask, good, db, rows, cache.
import * as __stubs from '../snippets/stubs.js';

const { getUser, getPosts, replicas, servers, ask, good, db, cache } = __stubs;
const id = 7;
const sql = 'SELECT 1';
const rows = [{ id: 1 }, { id: 2 }];
