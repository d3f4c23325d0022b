// The child side of run.ts: imports each snippet given on the command line, in order, and
// reports on the IPC channel when one starts and how it ended. A throw that escapes a snippet
// later (an unhandled rejection, a timer) is blamed on the snippet running at that time.
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';

const files = process.argv.slice(2);
let current = -1;

const send = (message) => new Promise((resolve) => process.send(message, resolve));
const report = (error) => send({ type: 'error', index: current, error: inspect(error) });
process.on('unhandledRejection', report);
process.on('uncaughtException', report);

for (const [index, file] of files.entries()) {
  current = index;
  await send({ type: 'start', index });
  try {
    await import(pathToFileURL(file).href);
  } catch (error) {
    await report(error);
  }
  // Let what the snippet left behind (a rejection, an immediate) surface under its name.
  await new Promise((resolve) => setImmediate(resolve));
  await send({ type: 'done', index });
}
// A snippet may leave a handle open (it is the docs' business to close what they open, but
// the other snippets' results are in): exit rather than wait for it.
process.exit(0);
