/**
 * Time source of the router. Production uses {@link systemClock}; tests inject a manual clock so that
 * backoffs and cooldowns run without real sleeping.
 */

/** Time source, injectable for tests. All values in milliseconds. */
export interface Clock {
  /** Current time in ms since the Unix epoch (or any monotonic origin a test chooses). */
  now(): number;
  /**
   * Resolves after `ms` milliseconds (at once when `ms <= 0`). Rejects with `signal.reason` as soon as
   * `signal` aborts, or at once if it is already aborted.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock: `Date.now()` and a `setTimeout` that is cleared on abort. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!(ms > 0)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};
