// A bare BullMQ worker, for the bullmq scenario's raw row: what BullMQ itself costs per job with
// no Tandem in the way (no thread pool, no codec). `node --import tsx bullmq-raw-worker.ts
// <queue> <concurrency>`, Redis URL in TANDEM_REDIS_URL; prints one ready line, stops on SIGTERM.
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

const [queue, concurrency] = process.argv.slice(2);
const connection = new Redis(process.env.TANDEM_REDIS_URL!, { maxRetriesPerRequest: null });
const worker = new Worker(queue!, async (job) => job.data, {
  connection,
  concurrency: Number(concurrency),
});
await worker.waitUntilReady();
process.stdout.write(`raw-worker ready pid=${process.pid}\n`);
process.once('SIGTERM', () => {
  void worker.close().then(() => {
    connection.disconnect();
    process.exit(0);
  });
});
