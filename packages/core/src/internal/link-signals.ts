/**
 * One signal that aborts when either of two does, with listeners removed by `unlink()` (not
 * `AbortSignal.any`, which keeps listeners on long-lived inputs: nodejs/node #55351).
 */
export function linkSignals(
  first: AbortSignal | undefined,
  second: AbortSignal,
): { signal: AbortSignal; unlink: () => void } {
  if (first === undefined) return { signal: second, unlink: () => {} };
  const controller = new AbortController();
  const fromFirst = () => controller.abort(first.reason);
  const fromSecond = () => controller.abort(second.reason);
  const unlink = () => {
    first.removeEventListener('abort', fromFirst);
    second.removeEventListener('abort', fromSecond);
  };
  if (first.aborted) fromFirst();
  else if (second.aborted) fromSecond();
  else {
    first.addEventListener('abort', fromFirst, { once: true });
    second.addEventListener('abort', fromSecond, { once: true });
  }
  return { signal: controller.signal, unlink };
}
