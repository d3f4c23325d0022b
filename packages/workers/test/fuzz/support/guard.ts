// "The process survives": inside a fuzz child, what would kill the process or only print a
// warning (an uncaught exception, an unhandled rejection, a listener leak) is recorded here
// instead, so that the case that caused it fails and is shrunk like any other.
import { describe } from './judge.ts';

const strays: string[] = [];

process.on('uncaughtException', (error) => {
  strays.push(`uncaught exception: ${describe(error)}`);
});
process.on('unhandledRejection', (reason) => {
  strays.push(`unhandled rejection: ${describe(reason)}`);
});
process.on('warning', (warning) => {
  // A listener leak, or a timer given a delay Node cannot keep (it then fires after 1 ms).
  if (warning.name === 'MaxListenersExceededWarning' || warning.name === 'TimeoutOverflowWarning') {
    strays.push(`${warning.name}: ${warning.message}`);
  }
});

/** What went off since the last call (and forgets it). */
export function takeStrays(): string[] {
  return strays.splice(0);
}
