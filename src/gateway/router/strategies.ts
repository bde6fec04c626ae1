/**
 * Deployment pickers for LiteLLM's `router_settings.routing_strategy` values. Each picker chooses one
 * index of a model group's deployments among the eligible ones: not cooling down at `now`, and without
 * any of the `mask` bits set in the per-request `flags` (a deployment that failed earlier in this request).
 * They allocate nothing; `simple-shuffle` uses cumulative weights precomputed at construction.
 */

import type { RoutingStrategy } from '../types';
import type { DeploymentState } from './state';

/** Per-request flag: never use this deployment again in this group run (auth / not_found / not_implemented). */
export const EXCLUDED = 1;
/** Per-request flag: this deployment already failed with a retryable error; prefer others. */
export const FAILED = 2;

/** What a picker needs about one model group, precomputed at router construction. */
export interface PickGroup {
  readonly states: readonly DeploymentState[];
  /** Prefix sums of the effective weights (`cumWeights[i]` = sum of weights 0..i). */
  readonly cumWeights: Float64Array;
  /** Sum of the effective weights (> 0). */
  readonly totalWeight: number;
}

/**
 * Picks an eligible deployment index, or -1 when none is eligible.
 * @param flags Per-request flags per deployment index, or null when nothing failed yet in this run.
 * @param mask Flag bits that make a deployment ineligible.
 * @param random Uniform [0, 1) source.
 */
export type Picker = (g: PickGroup, now: number, flags: Uint8Array | null, mask: number, random: () => number) => number;

function eligible(g: PickGroup, i: number, now: number, flags: Uint8Array | null, mask: number): boolean {
  return !(g.states[i]!.cooldownUntil > now) && (flags === null || (flags[i]! & mask) === 0);
}

/** True when at least one deployment of `g` is eligible (see {@link Picker}); uses no randomness. */
export function anyEligible(g: PickGroup, now: number, flags: Uint8Array | null, mask: number): boolean {
  for (let i = 0; i < g.states.length; i++) if (eligible(g, i, now, flags, mask)) return true;
  return false;
}

/**
 * `simple-shuffle`: weighted random by `weight`. Fast path: one draw over the precomputed prefix sums;
 * if that deployment is ineligible, a second weighted draw over the eligible ones only, which keeps the
 * result proportional to the weights of the eligible deployments. Weight-0 deployments are only picked
 * when no eligible deployment has a positive weight (standby).
 */
export const pickSimpleShuffle: Picker = (g, now, flags, mask, random) => {
  const n = g.states.length;
  if (n === 1) return eligible(g, 0, now, flags, mask) ? 0 : -1;
  const r = random() * g.totalWeight;
  const cum = g.cumWeights;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cum[mid]! > r) hi = mid;
    else lo = mid + 1;
  }
  if (g.states[lo]!.weight > 0 && eligible(g, lo, now, flags, mask)) return lo;
  let total = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (!eligible(g, i, now, flags, mask)) continue;
    total += g.states[i]!.weight;
    count++;
  }
  if (count === 0) return -1;
  if (total > 0) {
    let x = random() * total;
    let last = -1;
    for (let i = 0; i < n; i++) {
      if (!eligible(g, i, now, flags, mask)) continue;
      const w = g.states[i]!.weight;
      if (w <= 0) continue;
      last = i;
      if (x < w) return i;
      x -= w;
    }
    return last; // floating-point remainder
  }
  let k = Math.floor(random() * count);
  for (let i = 0; i < n; i++) {
    if (!eligible(g, i, now, flags, mask)) continue;
    if (k-- === 0) return i;
  }
  return -1;
};

/** `least-busy`: fewest in-flight attempts (including streams not yet released); ties broken at random. */
export const pickLeastBusy: Picker = (g, now, flags, mask, random) => {
  let best = -1;
  let bestLoad = Infinity;
  let ties = 0;
  for (let i = 0; i < g.states.length; i++) {
    if (!eligible(g, i, now, flags, mask)) continue;
    const load = g.states[i]!.inFlight;
    if (load < bestLoad) {
      bestLoad = load;
      best = i;
      ties = 1;
    } else if (load === bestLoad && random() * ++ties < 1) {
      best = i;
    }
  }
  return best;
};

/**
 * `latency-based-routing`: lowest EWMA of time-to-success. Deployments never tried come first (so every
 * deployment gets measured); deployments tried but never successful come last; ties broken at random.
 */
export const pickLowestLatency: Picker = (g, now, flags, mask, random) => {
  let best = -1;
  let bestKey = Infinity;
  let ties = 0;
  for (let i = 0; i < g.states.length; i++) {
    if (!eligible(g, i, now, flags, mask)) continue;
    const s = g.states[i]!;
    const key = s.requests === 0 ? -1 : Number.isNaN(s.latencyEwmaMs) ? Infinity : s.latencyEwmaMs;
    if (best === -1 || key < bestKey) {
      bestKey = key;
      best = i;
      ties = 1;
    } else if (key === bestKey && random() * ++ties < 1) {
      best = i;
    }
  }
  return best;
};

/** The picker for a routing strategy. */
export function pickerFor(strategy: RoutingStrategy): Picker {
  switch (strategy) {
    case 'least-busy':
      return pickLeastBusy;
    case 'latency-based-routing':
      return pickLowestLatency;
    case 'simple-shuffle':
    default:
      return pickSimpleShuffle;
  }
}
