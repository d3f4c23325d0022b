/**
 * `promise`, or `signal.reason` once `signal` aborts, whichever comes first.
 *
 * Why not `Promise.race([promise, whenAborted])`: each race adds a reaction to the
 * long-lived abort promise, and that reaction keeps the race's result alive until the signal
 * aborts — one chunk of a pipeline's items per call, so a 10M-item run held them all (the
 * pipeline-memory bench found it). Here the listener goes when the race settles.
 *
 * @module
 */
export function raceAbort<T>(promise: PromiseLike<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
