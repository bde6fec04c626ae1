/**
 * Mutable runtime state of one deployment, kept by the router: in-flight count (least-busy), latency EWMA
 * (latency-based-routing), the recent-failure window and the cooldown deadline. One instance per
 * deployment, created at router construction; nothing here allocates per request.
 */

import type { Deployment } from '../types';

/** Window in ms over which failures count towards `allowed_fails` (LiteLLM counts failures per minute). */
export const FAILURE_WINDOW_MS = 60_000;

/** Weight of a new sample in the latency EWMA (0..1): higher reacts faster, lower smooths more. */
export const LATENCY_EWMA_ALPHA = 0.3;

/** Largest number of failure timestamps remembered per deployment (bounds memory for huge allowed_fails). */
const MAX_FAILURE_RING = 10_000;

/** Runtime state of one deployment (see the module comment). Times in ms on the router's clock. */
export class DeploymentState {
  /** Attempts started and not yet finished (attempt still pending, or succeeded and not yet released). */
  inFlight = 0;
  /** The deployment is skipped while `now < cooldownUntil` (ms); 0 when never cooled down. */
  cooldownUntil = 0;
  /** Attempts started, in total. */
  requests = 0;
  /** Attempts that reached the client (the `attempt` callback resolved), in total. */
  successes = 0;
  /** Failed attempts plus failures reported through `release`, in total. */
  failures = 0;
  /** EWMA of time-to-success in ms (attempt start to the upstream's headers), NaN before the first sample. */
  latencyEwmaMs = Number.NaN;
  /** Last failure as safe text (kind, status and a redacted message), or null. */
  lastError: string | null = null;
  /** The upstream error code of the last failure (e.g. `usage_limit_reached`), if it had one. */
  lastErrorCode: string | undefined = undefined;
  /** Ring of recent failure times (ms), -Infinity for empty slots; sized to allowed_fails. */
  private readonly failTimes: Float64Array;
  private failPos = 0;

  /**
   * @param deployment The deployment this state belongs to.
   * @param weight Effective simple-shuffle weight (already sanitised, >= 0).
   * @param allowedFails `router_settings.allowed_fails`; sizes the failure ring (at least 1 slot).
   */
  constructor(
    readonly deployment: Deployment,
    readonly weight: number,
    allowedFails: number,
  ) {
    this.failTimes = new Float64Array(Math.min(MAX_FAILURE_RING, Math.max(1, Math.floor(allowedFails)))).fill(-Infinity);
  }

  /** Records one time-to-success sample (ms) into the EWMA. */
  recordLatency(ms: number): void {
    if (!(ms >= 0)) return;
    this.latencyEwmaMs = Number.isNaN(this.latencyEwmaMs) ? ms : this.latencyEwmaMs + LATENCY_EWMA_ALPHA * (ms - this.latencyEwmaMs);
  }

  /**
   * Remembers a failure that counts towards cooldown, at time `now` (ms).
   * @returns Failures within the last {@link FAILURE_WINDOW_MS}, this one included, counted up to the
   *   ring size (= allowed_fails), which is all the cooldown rule needs.
   */
  noteFailure(now: number): number {
    this.failTimes[this.failPos] = now;
    this.failPos = (this.failPos + 1) % this.failTimes.length;
    return this.recentFailures(now);
  }

  /** Failures within the last {@link FAILURE_WINDOW_MS} before `now` (ms), counted up to allowed_fails. */
  recentFailures(now: number): number {
    const since = now - FAILURE_WINDOW_MS;
    let n = 0;
    for (let i = 0; i < this.failTimes.length; i++) if (this.failTimes[i]! > since) n++;
    return n;
  }
}
