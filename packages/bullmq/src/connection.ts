/**
 * How a producer or worker reaches Redis: ioredis options passed through untouched (password,
 * ACL `username`, `tls`, `db`, sentinels…), or a `redis://` / `rediss://` URL.
 *
 * @module
 */
import { InvalidArgumentError } from '@tandem/workers';
import type { RedisOptions } from 'ioredis';

/** ioredis options, or a URL `redis[s]://[user[:password]@]host[:port][/db]`. */
export type Connection = RedisOptions | string;

/**
 * The ioredis options for `connection`. A URL is parsed here (so that the options can be
 * handed to BullMQ, which opens several connections); `rediss:` turns TLS on. Options are
 * copied, never changed.
 *
 * @throws InvalidArgumentError (`ERR_TANDEM_INVALID_ARGUMENT`) for anything else.
 */
export function redisOptions(label: string, connection: unknown): RedisOptions {
  if (typeof connection === 'string') return fromUrl(label, connection);
  if (typeof connection === 'object' && connection !== null && !Array.isArray(connection)) {
    try {
      return { ...(connection as RedisOptions) };
    } catch (cause) {
      // A Proxy whose traps throw: say which option, keep its error.
      throw new InvalidArgumentError(`Could not read ${label}: reading its properties threw`, {
        cause,
      });
    }
  }
  throw new InvalidArgumentError(
    `Expected ${label} to be ioredis options or a redis:// URL, got ${connection === null ? 'null' : typeof connection}`,
  );
}

function fromUrl(label: string, text: string): RedisOptions {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError(
      `Expected ${label} to be a redis:// or rediss:// URL, got an unparsable string`,
    );
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new InvalidArgumentError(
      `Expected ${label} to use redis:// or rediss://, got ${url.protocol}`,
    );
  }
  const options: RedisOptions = {
    host: url.hostname || '127.0.0.1',
    port: Number(url.port || 6379),
  };
  if (url.username) options.username = decodeURIComponent(url.username);
  if (url.password) options.password = decodeURIComponent(url.password);
  const db = url.pathname.replace(/^\//, '');
  if (db !== '') {
    const n = Number(db);
    if (!Number.isInteger(n) || n < 0) {
      throw new InvalidArgumentError(
        `Expected the database in ${label} to be an integer >= 0, got "${db}"`,
      );
    }
    options.db = n;
  }
  if (url.protocol === 'rediss:') options.tls = {};
  return options;
}
