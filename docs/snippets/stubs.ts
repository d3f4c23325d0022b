// The `stubs` prelude's fixtures: stand-ins for the services the docs' examples talk to (a
// user API, database replicas, a cache…). Each call takes a few milliseconds and honours its
// signal, as a real client would.
import { setTimeout as delay } from 'node:timers/promises';

async function answer<T>(value: T, ms: number, signal: AbortSignal | undefined): Promise<T> {
  await delay(ms, undefined, signal ? { signal } : {});
  return value;
}

export interface User {
  readonly id: number;
  readonly name: string;
}

export function getUser(id: number, signal: AbortSignal): Promise<User> {
  return answer({ id, name: `user ${id}` }, 2, signal);
}

export function getPosts(id: number, signal: AbortSignal): Promise<string[]> {
  return answer([`post 1 by ${id}`, `post 2 by ${id}`], 3, signal);
}

export interface Replica {
  query(sql: string, options: { signal: AbortSignal }): Promise<unknown[]>;
}

export const replicas: Replica[] = [5, 2, 8].map((ms) => ({
  query: (sql, { signal }) => answer([{ sql, ms }], ms, signal),
}));

export const servers = ['alpha', 'beta', 'gamma'];

export function ask(server: string, signal: AbortSignal): Promise<string> {
  return answer(`42 from ${server}`, server.length, signal);
}

export function good(answer: string): boolean {
  return answer.startsWith('42');
}

export const db = {
  commit(rows: readonly unknown[], options: { signal: AbortSignal }): Promise<number> {
    return answer(rows.length, 2, options.signal);
  },
};

const store = new Map<string, string>();

export const cache = {
  /** The cached value, or undefined. */
  get(key: string, options: { signal: AbortSignal }): Promise<string | undefined> {
    return answer(store.get(key), 1, options.signal);
  },
  /** Fills the cache. */
  async warm(signal: AbortSignal): Promise<void> {
    store.set('greeting', await answer('hello', 2, signal));
  },
};
