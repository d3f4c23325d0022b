// The test Redis (scripts/redis/test-redis.ts): a real redis-server on a port of its own that
// keeps acknowledged writes across a restart and a kill -9 (append-only file, fsync always).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { test } from 'node:test';
import { redisServerBinary, startTestRedis } from '../redis/test-redis.ts';

/** One command over a fresh connection, in RESP: a bulk string's value, an array's raw reply, else the first line. */
async function command(port: number, ...args: string[]): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  const wire = `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
  socket.end(wire);
  let reply = '';
  for await (const chunk of socket) reply += chunk;
  // A bulk string comes as `$<len>\r\n<value>\r\n`: return the value.
  const [first, second] = reply.split('\r\n');
  if (first!.startsWith('*')) return reply;
  return first!.startsWith('$') && first !== '$-1' ? second! : first!;
}

const binary = redisServerBinary();
if (binary === undefined && process.env.CI) {
  test('CI has redis-server (.ci/run installs it)', () => assert.fail('no redis-server'));
}
if (binary === undefined) {
  console.error(
    '\n*** SKIPPED: no redis-server binary here (apt-get install -y redis-server). ***\n',
  );
}

test('the test Redis starts on a port of its own and keeps writes across a restart and a kill -9', {
  skip: binary === undefined && 'no redis-server binary',
  timeout: 60_000,
}, async (t) => {
  const redis = await startTestRedis();
  t.after(() => redis.stop());
  assert.equal(redis.url, `redis://127.0.0.1:${redis.port}`);
  assert.equal(await command(redis.port, 'PING'), '+PONG');
  assert.equal(
    await command(redis.port, 'CONFIG', 'GET', 'appendonly'),
    '*2\r\n$10\r\nappendonly\r\n$3\r\nyes\r\n',
  );
  assert.equal(await command(redis.port, 'SET', 'job:1', 'done'), '+OK');

  await redis.restart();
  assert.equal(await command(redis.port, 'GET', 'job:1'), 'done', 'kept across a restart');

  assert.equal(await command(redis.port, 'SET', 'job:2', 'acknowledged'), '+OK');
  await redis.kill();
  await assert.rejects(command(redis.port, 'PING'), { code: 'ECONNREFUSED' });
  await redis.restart();
  assert.equal(await command(redis.port, 'GET', 'job:2'), 'acknowledged', 'kept across kill -9');

  await redis.stop();
  await redis.stop(); // idempotent
  assert.equal(existsSync(redis.dir), false, 'its directory is removed');
  await assert.rejects(command(redis.port, 'PING'), { code: 'ECONNREFUSED' });
});

test('two test Redis instances get two ports', {
  skip: binary === undefined && 'no redis-server binary',
}, async (t) => {
  const [a, b] = await Promise.all([startTestRedis(), startTestRedis()]);
  t.after(() => Promise.all([a.stop(), b.stop()]));
  assert.notEqual(a.port, b.port);
  await command(a.port, 'SET', 'where', 'a');
  assert.equal(await command(b.port, 'GET', 'where'), '$-1', 'separate data');
});
