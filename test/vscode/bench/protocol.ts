/**
 * The hand-shake between bench/vscode-host.ts (outside VS Code: starts the session, runs the load) and the in-host
 * bench suite (test/vscode/bench/suite: measures inside the extension host). They talk through small files in a
 * folder whose path is in `$CGW_BENCH_DIR`, each written once, atomically (write then rename):
 *
 * 1. the suite waits for the extension to be active and its gateway ready, reads the activation timings, measures
 *    the idle event-loop delay, then writes {@link BenchReady} to `ready.json`;
 * 2. the outer process starts the load and writes `load-started` (the suite resets its histogram there), runs the
 *    load, and writes `load-done` (the suite stops measuring);
 * 3. the suite writes {@link HostBenchResult} to `result.json` and its `run()` resolves.
 */

/** Environment variable holding the hand-shake folder (absolute path). */
export const BENCH_DIR_ENV = 'CGW_BENCH_DIR';
/** Environment variable: seconds of idle event-loop measurement before the load (default 5). */
export const BENCH_IDLE_S_ENV = 'CGW_BENCH_IDLE_S';
/** Environment variable: seconds the suite waits for `load-done` after `ready.json` (default 120). */
export const BENCH_LOAD_WAIT_S_ENV = 'CGW_BENCH_LOAD_WAIT_S';

/** File names inside the hand-shake folder. */
export const BENCH_FILES = {
  ready: 'ready.json',
  loadStarted: 'load-started',
  loadDone: 'load-done',
  result: 'result.json',
} as const;

/** Written by the suite when the gateway is ready for load. */
export interface BenchReady {
  /** The gateway's port on 127.0.0.1. */
  port: number;
  /** The gateway's bearer token file (0600). */
  tokenFile: string;
  /** The gateway phase in this window (`running` = this extension host's worker serves it). */
  phase: string;
}

/**
 * Event-loop delay of the extension host's main thread over one phase, from `perf_hooks.monitorEventLoopDelay`.
 * The histogram records the time between two ticks of a timer of period `resolutionMs`; the delay is that time
 * minus the period (clamped at 0). All values in ms.
 */
export interface DelayStats {
  /** Timer period of the histogram, ms. */
  resolutionMs: number;
  /** Length of the phase, ms. */
  durationMs: number;
  /** Number of samples. */
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** Event-loop utilization over the phase (0..1, `performance.eventLoopUtilization`): share of time not idle. */
  utilization: number;
}

/**
 * Activation timings of the extension, from the extension host's own performance marks
 * (`code/extHost/{will,did}LoadExtensionCode/<id>` around loading the main module, `code/extHost/{will,did}ActivateExtension/<id>`
 * around calling `activate()`; `Date.now()` resolution, so whole ms). "Developer: Show Running Extensions" shows
 * code loading + activate call, measured by the same extension host code.
 */
export interface ActivationTimes {
  /** Loading (require) of the extension's main module, ms. */
  codeLoadingMs: number;
  /** The `activate()` call (and the settling of what it returns), ms. */
  activateCallMs: number;
  /** From "will load code" to "did activate": includes preparing the extension context, ms. */
  totalMs: number;
  /** The raw marks used (name -> epoch ms). */
  marks: Record<string, number>;
}

/** Written by the suite at the end. */
export interface HostBenchResult {
  extensionId: string;
  activation?: ActivationTimes;
  /** Why the activation marks could not be read (then `activation` is missing). */
  activationMissing?: string;
  idle: DelayStats;
  load: DelayStats;
  /** Node version of the extension host. */
  node: string;
}
