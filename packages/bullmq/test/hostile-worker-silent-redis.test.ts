// startWorker against an endpoint that accepts TCP connections but never answers (a wrong port,
// a stopped Redis, a silent proxy). ioredis' connectTimeout only covers TCP's connect, so the
// start hung for ever (and `tandem-worker` with it, deaf to its first SIGTERM). It now
// rejects with StartTimeoutError after `startTimeout`, and lets go of its connection.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { startWorker } from '../src/index.ts';
import { TASKS } from './fixtures/worker-process.ts';

test('a Redis that never answers fails the start with a code, and is let go', {
  timeout: 60_000,
}, async (t) => {
  const sockets = new Set<Socket>();
  let accepted!: () => void;
  const firstConnection = new Promise<void>((resolve) => {
    accepted = resolve;
  });
  const server = createServer((socket) => {
    sockets.add(socket);
    // Read (and drop) what it sends, so that its end is seen.
    socket.resume();
    socket.on('close', () => sockets.delete(socket));
    accepted();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  const { port } = server.address() as { port: number };

  await assert.rejects(
    startWorker({
      tasks: TASKS,
      connection: `redis://127.0.0.1:${port}`,
      queue: 'silent',
      threads: 1,
      startTimeout: 300,
    }),
    { code: 'ERR_TANDEM_START_TIMEOUT' },
  );
  await firstConnection;
  // Every connection it opened is closed by the worker, not left behind.
  while (sockets.size > 0) await once([...sockets][0]!, 'close');

  await assert.rejects(
    startWorker({ tasks: TASKS, connection: 'redis://x', queue: 'q', startTimeout: 0 }),
    { code: 'ERR_TANDEM_OUT_OF_RANGE' },
  );
  await assert.rejects(
    startWorker({ tasks: TASKS, connection: 'redis://x', queue: 'q', startTimeout: Number.NaN }),
    { code: 'ERR_TANDEM_INVALID_ARGUMENT' },
  );
});
