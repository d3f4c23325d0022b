// biome-ignore-all lint/correctness/noUnusedVariables: a prelude declares names for the snippet after it
// Prelude `redis`: a Redis of the snippet's own and a Tandem worker (in this process, one
// thread) serving this markdown file's `tasks.ts` on queue `tandem`; both end with the snippet.
// Declares `connection`, the Redis URL producers and workers are given.
import * as __redis from '../snippets/redis.js';

await using __redisServer = await __redis.startRedis(new URL('./tasks.js', import.meta.url));
const connection = __redisServer.url;
