/**
 * The router: model aliases (LiteLLM model groups) -> deployments, with load balancing, retries inside a
 * group, cooldowns and fallbacks to other groups. It is the only retry loop of the gateway (as in LiteLLM,
 * where the SDK's own retries are off); provider adapters make exactly one upstream attempt per call.
 *
 * Rules, and where they come from:
 * - Strategies (`router_settings.routing_strategy`, LiteLLM names): `simple-shuffle` (weighted random by
 *   `weight`), `least-busy` (fewest in-flight), `latency-based-routing` (lowest EWMA of time-to-success).
 * - Cooldown (LiteLLM `allowed_fails` / `cooldown_time`): a deployment with `allowedFails` or more failures
 *   of kind rate_limit, server, bad_response, timeout, connection or auth within the last 60 s is skipped for
 *   `cooldownTimeMs`. A 429 cools it down at once, for max(cooldownTimeMs, the upstream's Retry-After up to
 *   5 min), as LiteLLM's router cools down a deployment on a rate-limit error without waiting for
 *   allowed_fails; a plan's usage limit (429 `usage_limit_reached`, the ChatGPT backend) cools it down until
 *   the reset it names, however far (5 min when it names none). Single-deployment groups are cooled down too (as LiteLLM does): while that deployment
 *   cools down, requests for the group go straight to its fallbacks, or fail with 429 + Retry-After.
 *   `cooldownTimeMs <= 0` turns cooldowns off. A cooldown is never slept out: when every deployment of a
 *   group cools down, the group counts as failed for this request.
 * - Retries (LiteLLM `num_retries`): up to `numRetries` retries inside a group on rate_limit, server,
 *   timeout and connection, preferring a deployment that has not failed in this request. auth, not_found,
 *   not_implemented and insufficient_quota move on to another deployment of the group at once, without
 *   counting a retry and without backoff (each deployment at most once). bad_request and context_window
 *   end the group at once.
 * - Fallbacks (LiteLLM `fallbacks`, `context_window_fallbacks`, `default_fallbacks`): once the requested
 *   group failed, context_window failures try `contextWindowFallbacks[alias]` only; other failures except
 *   bad_request try `fallbacks[alias]`, or `defaultFallbacks` when the alias has no entry. Each fallback is
 *   a full group run with its own retries, at most `maxFallbacks` groups, each alias at most once per
 *   request. Fallbacks are NOT chained: a fallback group's own fallbacks are not used (LiteLLM does not
 *   chain either). When all fail, the client sees the requested group's error (as LiteLLM raises the
 *   original exception), with the fallbacks' failures appended to the message.
 * - Wildcards (LiteLLM wildcard routing, config/wildcard.ts): a name no alias names goes to the most specific
 *   wildcard route matching it, as its own group named as requested (see `wildcardGroup`).
 */

import { GatewayError, UpstreamError, USAGE_LIMIT_CODE, type FailureKind } from '../errors';
import { resolveWildcardDeployment } from '../config/load';
import { matchPattern, substituteModel } from '../config/wildcard';
import type { Deployment, GatewayConfig, RouterSettings, WildcardRoute } from '../types';
import { systemClock, type Clock } from './clock';
import { isInsufficientQuota, toClientError, unknownAliasError } from './client-error';
import { safeText } from './redact';
import { DeploymentState } from './state';
import { anyEligible, EXCLUDED, FAILED, pickerFor, type Picker, type PickGroup } from './strategies';

/** An upstream `Retry-After` longer than this (ms) is not waited for inside the router. */
export const RETRY_AFTER_CAP_MS = 30_000;
/** Smallest exponential backoff step in ms (used when `router_settings.retry_after` is lower). */
export const BACKOFF_MIN_MS = 250;
/** Largest exponential backoff in ms (unless `router_settings.retry_after` is larger). */
export const BACKOFF_MAX_MS = 8_000;
/**
 * Most model groups kept for names matched by wildcard routes (each requested name is its own group, with
 * its own deployments' cooldowns); the least recently used one is dropped beyond this.
 */
export const WILDCARD_GROUPS_MAX = 256;
/** Longest cooldown in ms a 429's Retry-After may ask for. */
export const MAX_RATE_LIMIT_COOLDOWN_MS = 300_000;

/** Describes one attempt to the `attempt` callback. */
export interface AttemptInfo {
  /** The alias (model group) this attempt serves. */
  alias: string;
  /** 0-based index of this attempt over the whole request (all groups). */
  attempt: number;
  /** Retries done so far in this group (0 on the group's first attempt; failovers do not count). */
  retry: number;
  /** The alias the client asked for, when this attempt serves a fallback group. */
  fallbackFrom?: string;
}

/** A successful route. */
export interface RouteResult<T> {
  /** What `attempt` resolved with. */
  value: T;
  /** The deployment that answered. */
  deployment: Deployment;
  /** Alias actually served (differs from the requested one when a fallback answered). */
  alias: string;
  /** Retries done over the whole request (failovers to another deployment do not count). */
  retries: number;
  /** The requested alias, when a fallback answered. */
  fallbackFrom?: string;
  /**
   * Call exactly once when the response (including a stream) is fully done, to release least-busy
   * counters and record the outcome: `{ ok: false, error }` counts a mid-stream upstream failure towards
   * the deployment's cooldown; `{ ok: false }` without error (e.g. client went away) records nothing.
   * Later calls are ignored.
   */
  release(outcome: { ok: boolean; error?: UpstreamError }): void;
}

/** Events for logs. Messages are redacted and shortened. */
export type RouterEvent =
  | {
      /** A retryable failure; the router waits `delayMs` then tries the group again. */
      type: 'retry';
      alias: string;
      deploymentId: string;
      /** Retry number about to happen (1-based). */
      retry: number;
      delayMs: number;
      kind: FailureKind;
      status: number;
      message: string;
    }
  | {
      /** A deployment failed in a way retrying it cannot fix (auth, not_found, ...); another one is tried. */
      type: 'failover';
      alias: string;
      deploymentId: string;
      kind: FailureKind;
      status: number;
      message: string;
    }
  | {
      /** A deployment starts cooling down until `untilMs` (clock ms). */
      type: 'cooldown';
      alias: string;
      deploymentId: string;
      untilMs: number;
      durationMs: number;
      /** `usage_limit`: a plan's usage limit (`usage_limit_reached`), cooled down until its reset time. */
      reason: 'rate_limit' | 'allowed_fails' | 'usage_limit';
      /** Failures within the last 60 s (counted up to allowed_fails). */
      recentFailures: number;
    }
  | {
      /** Every deployment of the group cools down; the group is skipped for this request. */
      type: 'unavailable';
      alias: string;
      /** Time in ms until the first deployment of the group is available again. */
      retryAfterMs: number;
    }
  | {
      /** The requested group failed; the fallback group `to` is tried next. */
      type: 'fallback';
      from: string;
      to: string;
      kind: FailureKind;
      /** True when chosen from context_window_fallbacks. */
      contextWindow: boolean;
    };

/** Options of {@link Router}. */
export interface RouterOptions {
  /** Time source [systemClock]. */
  clock?: Clock;
  /** Uniform [0, 1) source for load balancing and jitter [Math.random]. */
  random?: () => number;
  /** Receives retry / failover / cooldown / unavailable / fallback events; exceptions it throws are ignored. */
  onEvent?: (e: RouterEvent) => void;
}

/** Per-deployment state for the health view. Times in ms on the router's clock (epoch ms with systemClock). */
export interface DeploymentHealth {
  id: string;
  alias: string;
  provider: string;
  model: string;
  /** Attempts running or succeeded-and-not-released. */
  inFlight: number;
  /** End of the current cooldown (ms), or null when not cooling down. */
  cooldownUntil: number | null;
  /** Failures counting towards cooldown within the last 60 s (counted up to allowed_fails). */
  recentFailures: number;
  /** Last failure as safe text (no secrets), or null. */
  lastError: string | null;
  /** EWMA of time-to-success in ms, or null before the first success. */
  latencyEwmaMs: number | null;
  /** Attempts started. */
  requests: number;
  /** Failures (attempts and mid-stream failures reported through release). */
  failures: number;
}

/** One model group, precomputed. */
interface GroupPlan extends PickGroup {
  readonly alias: string;
  readonly states: DeploymentState[];
  /** Fallback groups for non-context failures: deduplicated, known, not itself, cut to maxFallbacks. */
  fallbacks: GroupPlan[];
  /** Fallback groups for context_window failures, same rules. */
  cwFallbacks: GroupPlan[];
}

/**
 * A model group's plan: one state per deployment, weighted by `weight` (`rpm` when absent, see config); when no
 * deployment has a positive weight, all weigh 1. Fallbacks are filled in afterwards.
 * @param allowedFails failures per minute before a deployment cools down (router_settings.allowed_fails).
 */
function groupPlan(alias: string, deps: readonly Deployment[], allowedFails: number): GroupPlan {
  const raw = deps.map((d) => (Number.isFinite(d.weight) && d.weight > 0 ? d.weight : 0));
  const allZero = raw.every((w) => w === 0);
  const states = deps.map((d, i) => new DeploymentState(d, allZero ? 1 : raw[i]!, allowedFails));
  const cumWeights = new Float64Array(states.length);
  let total = 0;
  states.forEach((st, i) => {
    total += st.weight;
    cumWeights[i] = total;
  });
  return { alias, states, cumWeights, totalWeight: total, fallbacks: [], cwFallbacks: [] };
}

type GroupOutcome<T> =
  | { ok: true; result: RouteResult<T> }
  | { ok: false; err: UpstreamError; state: DeploymentState | undefined; retryAfterMs: number | undefined };

/** Per-request counters shared by the groups of one `run`. */
interface RunCounters {
  attempt: number;
  retries: number;
}

/** Kinds that count towards a deployment's cooldown (retryable kinds plus auth). */
function countsForCooldown(kind: FailureKind): boolean {
  return kind === 'rate_limit' || kind === 'server' || kind === 'bad_response' || kind === 'timeout' || kind === 'connection' || kind === 'auth';
}

function describeFailure(e: UpstreamError): string {
  return `${e.kind}${e.status ? ` ${e.status}` : ''}: ${safeText(e.message, 300)}`;
}

function toAbortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error && r.name === 'AbortError') return r;
  return new DOMException('The request was aborted (the client disconnected).', 'AbortError');
}

/**
 * Delay in ms before retry number `retry + 1` of a group, or -1 when the router should not wait but
 * give up the group (go to fallbacks / fail with the upstream's Retry-After).
 * - When the next attempt goes to a deployment that already failed in this request and the upstream sent
 *   `Retry-After`: that value, or -1 when it exceeds {@link RETRY_AFTER_CAP_MS}. (A Retry-After describes
 *   the deployment that sent it, so it is not applied when a fresh deployment of the group is next.)
 * - Otherwise exponential: base = max(settings.retryAfterMs, 250 ms), doubled per retry, capped at
 *   max(8 s, settings.retryAfterMs), times a jitter factor in [0.8, 1.2), kept within
 *   [settings.retryAfterMs, cap].
 * @param retry Retries already done in this group (0 before the first retry).
 * @param freshNext Whether the next attempt goes to a deployment that has not failed in this request.
 */
export function retryDelayMs(
  err: UpstreamError,
  retry: number,
  settings: Pick<RouterSettings, 'retryAfterMs'>,
  random: () => number,
  freshNext: boolean,
): number {
  if (!freshNext && err.retryAfterMs !== undefined && err.retryAfterMs >= 0) {
    return err.retryAfterMs > RETRY_AFTER_CAP_MS ? -1 : err.retryAfterMs;
  }
  const floor = Math.max(0, settings.retryAfterMs || 0);
  const base = Math.max(floor, BACKOFF_MIN_MS);
  const cap = Math.max(BACKOFF_MAX_MS, floor);
  const exp = Math.min(cap, base * 2 ** Math.min(retry, 30));
  return Math.round(Math.min(cap, Math.max(floor, exp * (0.8 + 0.4 * random()))));
}

/**
 * Routes requests for model aliases to deployments. Build one per loaded config (a reload builds a new
 * router; health state starts fresh). All per-group data (deployment lists, prefix sums of weights,
 * resolved fallback lists) is computed in the constructor.
 */
export class Router {
  private readonly plans = new Map<string, GroupPlan>();
  private readonly aliasList: string[];
  /** All states in model_list order (health view). */
  private readonly allStates: DeploymentState[];
  private readonly stateAlias = new Map<DeploymentState, string>();
  private readonly pick1: Picker;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly onEvent: ((e: RouterEvent) => void) | undefined;
  private readonly numRetries: number;
  private readonly allowedFails: number;
  private readonly cooldownMs: number;
  private readonly settings: RouterSettings;
  /** Problems found in the router settings (unknown fallback aliases etc.), phrased for the user. */
  readonly warnings: string[] = [];
  /** Wildcard routes of the config, most specific first (LiteLLM's order). */
  private readonly wildcards: readonly WildcardRoute[];
  /** Groups built for names a wildcard route matched, by requested name, least recently used first. */
  private readonly wildcardGroups = new Map<string, GroupPlan>();

  /**
   * @param config The resolved configuration; `config.groups` defines the model groups.
   * @param opts Clock, random source and event sink (tests inject the first two).
   */
  constructor(config: GatewayConfig, opts: RouterOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.onEvent = opts.onEvent;
    const s = config.router;
    this.settings = s;
    this.numRetries = Math.max(0, Math.floor(s.numRetries || 0));
    this.allowedFails = Math.max(0, Math.floor(s.allowedFails || 0));
    this.cooldownMs = Math.max(0, s.cooldownTimeMs || 0);
    this.pick1 = pickerFor(s.routingStrategy);
    this.wildcards = config.wildcards ?? [];

    const ordered: { alias: string; first: number; deps: Deployment[] }[] = [];
    for (const [alias, deps] of config.groups) {
      if (deps.length === 0) continue;
      let first = Infinity;
      for (const d of deps) first = Math.min(first, d.index);
      ordered.push({ alias, first, deps });
    }
    ordered.sort((a, b) => a.first - b.first);
    this.aliasList = ordered.map((o) => o.alias);

    const all: DeploymentState[] = [];
    for (const { alias, deps } of ordered) {
      const plan = groupPlan(alias, deps, this.allowedFails);
      for (const st of plan.states) this.stateAlias.set(st, alias);
      all.push(...plan.states);
      this.plans.set(alias, plan);
    }
    all.sort((a, b) => a.deployment.index - b.deployment.index);
    this.allStates = all;

    for (const plan of this.plans.values()) {
      const own = s.fallbacks[plan.alias];
      const warn = (setting: string) => (name: string) =>
        this.warnings.push(
          `router_settings.${setting} for '${plan.alias}' names '${name}', which no model_list entry defines; it is skipped. Add a model_list entry with model_name: ${name}, or remove '${name}' from ${setting}.`,
        );
      plan.fallbacks = this.fallbackPlans(plan, own ?? s.defaultFallbacks, warn(own ? 'fallbacks' : 'default_fallbacks'));
      plan.cwFallbacks = this.fallbackPlans(plan, s.contextWindowFallbacks[plan.alias], warn('context_window_fallbacks'));
    }
  }

  /** Aliases known (model groups), in model_list order (by each group's first entry). */
  aliases(): string[] {
    return this.aliasList.slice();
  }

  /** Whether `alias` names a model group. */
  has(alias: string): boolean {
    return this.plans.has(alias);
  }

  /**
   * Runs `attempt` against deployments of `alias` until one succeeds (resolves) or all options are
   * exhausted (retries, other deployments, fallback groups; see the module comment).
   * `attempt` resolves when the upstream has answered successfully up to the point where bytes may go to
   * the client (headers received); it throws UpstreamError otherwise (any other thrown error is a bug and
   * is rethrown as is). It should honour `signal` itself: the router does not abandon a pending attempt.
   * Aborting `signal` stops at once: no more attempts, backoff sleeps interrupted, rejects with an
   * AbortError (the signal's reason when that is an AbortError).
   * @throws GatewayError 400 `model_not_found` for an unknown alias (lists known aliases, did-you-mean);
   *   otherwise the final failure through {@link toClientError}.
   */
  async run<T>(
    alias: string,
    attempt: (d: Deployment, info: AttemptInfo) => Promise<T>,
    opts?: { signal?: AbortSignal },
  ): Promise<RouteResult<T>> {
    const plan = this.groupFor(alias);
    const signal = opts?.signal;
    if (signal?.aborted) throw toAbortError(signal);
    const counters: RunCounters = { attempt: 0, retries: 0 };
    const first = await this.runGroup(plan, attempt, signal, undefined, counters);
    if (first.ok) return first.result;

    const kind = first.err.kind;
    if (kind === 'bad_request') throw this.finalError(plan, first, null);
    const list = kind === 'context_window' ? plan.cwFallbacks : plan.fallbacks;
    if (list.length === 0) throw this.finalError(plan, first, null);
    const notes: string[] = [];
    for (const fb of list) {
      if (signal?.aborted) throw toAbortError(signal);
      this.emit({ type: 'fallback', from: alias, to: fb.alias, kind, contextWindow: kind === 'context_window' });
      const out = await this.runGroup(fb, attempt, signal, alias, counters);
      if (out.ok) return out.result;
      notes.push(`'${fb.alias}' (${out.err.kind}${out.err.status ? ` ${out.err.status}` : ''})`);
    }
    throw this.finalError(plan, first, notes);
  }

  /**
   * Whether a request for `name` has somewhere to go: an alias, or a name a wildcard route matches (the
   * route may still refuse it, e.g. a provider its `*` substitution names that the gateway does not know).
   */
  serves(name: string): boolean {
    return this.plans.has(name) || matchPattern(this.wildcards, name) !== undefined;
  }

  /**
   * The group of a requested alias: its own, else the group built for it from the most specific wildcard
   * route matching it (see config/wildcard.ts).
   * @throws GatewayError 400 `model_not_found`: no alias and no route matches (lists the known aliases and
   *   patterns), or the matching route cannot serve the name (says why).
   */
  private groupFor(alias: string): GroupPlan {
    const plan = this.plans.get(alias) ?? this.wildcardGroup(alias);
    if (plan instanceof GatewayError) throw plan;
    if (plan === undefined) throw unknownAliasError(alias, [...this.aliasList, ...this.wildcards.map((w) => w.pattern)]);
    return plan;
  }

  /** {@link wildcardGroup} for fallback lists: undefined when no route matches or the route refuses the name. */
  private wildcardGroupOrUndefined(name: string): GroupPlan | undefined {
    const g = this.wildcardGroup(name);
    return g instanceof GatewayError ? undefined : g;
  }

  /**
   * The model group of a requested name that no alias names, built (once, then kept, see
   * {@link WILDCARD_GROUPS_MAX}) from the first wildcard route matching it: one deployment per entry of the
   * route, with the `*`s of its `litellm_params.model` substituted (LiteLLM's `set_deployment_model_name`).
   * Its group name is the requested name, so cooldowns, logs and `x-codex-gateway-*` headers are per model;
   * its fallbacks are `fallbacks[name]`, else `fallbacks[pattern]`, else `default_fallbacks` (the same for
   * context_window_fallbacks, without the default).
   * @returns the group; undefined when no route matches; a GatewayError (400) when the route cannot serve
   *   the name (every entry refused it, e.g. `*` -> `foo/bar` names no known provider).
   */
  private wildcardGroup(name: string): GroupPlan | GatewayError | undefined {
    const kept = this.wildcardGroups.get(name);
    if (kept) {
      this.wildcardGroups.delete(name);
      this.wildcardGroups.set(name, kept);
      return kept;
    }
    const m = matchPattern(this.wildcards, name);
    if (!m) return undefined;
    const deps: Deployment[] = [];
    let why = '';
    for (const e of m.route.entries) {
      try {
        deps.push(resolveWildcardDeployment(e, substituteModel(e.model, m.captures, name), name));
      } catch (err) {
        why ||= safeText((err as Error).message, 600);
      }
    }
    if (deps.length === 0) {
      return new GatewayError(
        400,
        `The model '${safeText(name, 120)}' matches the wildcard model_name '${m.route.pattern}' in config.yaml, but that entry cannot serve it: ${why}`,
        'invalid_request_error',
        'model_not_found',
        'model',
      );
    }
    const plan = groupPlan(name, deps, this.allowedFails);
    if (this.wildcardGroups.size >= WILDCARD_GROUPS_MAX) this.wildcardGroups.delete(this.wildcardGroups.keys().next().value!);
    this.wildcardGroups.set(name, plan);
    const s = this.settings;
    plan.fallbacks = this.fallbackPlans(plan, s.fallbacks[name] ?? s.fallbacks[m.route.pattern] ?? s.defaultFallbacks);
    plan.cwFallbacks = this.fallbackPlans(plan, s.contextWindowFallbacks[name] ?? s.contextWindowFallbacks[m.route.pattern]);
    return plan;
  }

  /**
   * The groups a fallback list names, for `plan`: each an alias or a name a wildcard route serves, in list
   * order, without `plan` itself or repeats, at most `router_settings.max_fallbacks` (default 5).
   * @param unknown called with each name that no alias or wildcard route serves (it is skipped).
   */
  private fallbackPlans(plan: GroupPlan, names: readonly string[] | undefined, unknown?: (name: string) => void): GroupPlan[] {
    const max = Math.max(0, Math.floor(this.settings.maxFallbacks ?? 5));
    const out: GroupPlan[] = [];
    for (const name of names ?? []) {
      const p = this.plans.get(name) ?? this.wildcardGroupOrUndefined(name);
      if (!p) unknown?.(name);
      else if (p !== plan && !out.includes(p) && out.length < max) out.push(p);
    }
    return out;
  }

  /** Per-deployment state for the health view, in model_list order. */
  health(): DeploymentHealth[] {
    const now = this.clock.now();
    return this.allStates.map((st) => ({
      id: st.deployment.id,
      alias: this.stateAlias.get(st) ?? st.deployment.alias,
      provider: st.deployment.provider,
      model: st.deployment.model,
      inFlight: st.inFlight,
      cooldownUntil: st.cooldownUntil > now ? st.cooldownUntil : null,
      recentFailures: st.recentFailures(now),
      lastError: st.lastError,
      latencyEwmaMs: Number.isNaN(st.latencyEwmaMs) ? null : st.latencyEwmaMs,
      requests: st.requests,
      failures: st.failures,
    }));
  }

  /** Picks a deployment, preferring ones that have not failed in this run. */
  private pick(plan: GroupPlan, now: number, flags: Uint8Array | null): number {
    const i = this.pick1(plan, now, flags, EXCLUDED | FAILED, this.random);
    if (i >= 0 || flags === null) return i;
    return this.pick1(plan, now, flags, EXCLUDED, this.random);
  }

  /** One group run: the retry / failover loop over the deployments of `plan`. */
  private async runGroup<T>(
    plan: GroupPlan,
    attempt: (d: Deployment, info: AttemptInfo) => Promise<T>,
    signal: AbortSignal | undefined,
    fallbackFrom: string | undefined,
    counters: RunCounters,
  ): Promise<GroupOutcome<T>> {
    let flags: Uint8Array | null = null;
    let retry = 0;
    let lastErr: UpstreamError | undefined;
    let lastState: DeploymentState | undefined;
    for (;;) {
      if (signal?.aborted) throw toAbortError(signal);
      const start = this.clock.now();
      const idx = this.pick(plan, start, flags);
      if (idx < 0) {
        const wait = this.cooldownRemaining(plan, start);
        if (lastErr !== undefined) return { ok: false, err: lastErr, state: lastState, retryAfterMs: wait };
        this.emit({ type: 'unavailable', alias: plan.alias, retryAfterMs: wait ?? 0 });
        return { ok: false, err: this.unavailableError(plan, wait ?? 0), state: undefined, retryAfterMs: wait };
      }
      const st = plan.states[idx]!;
      const info: AttemptInfo =
        fallbackFrom === undefined
          ? { alias: plan.alias, attempt: counters.attempt++, retry }
          : { alias: plan.alias, attempt: counters.attempt++, retry, fallbackFrom };
      st.inFlight++;
      st.requests++;
      let value: T;
      try {
        value = await attempt(st.deployment, info);
      } catch (e) {
        st.inFlight--;
        if (signal?.aborted) throw toAbortError(signal);
        if (!(e instanceof UpstreamError)) throw e;
        const end = this.clock.now();
        this.recordFailure(st, e, end, end - start);
        lastErr = e;
        lastState = st;
        if (e.kind === 'bad_request' || e.kind === 'context_window') {
          return { ok: false, err: e, state: st, retryAfterMs: undefined };
        }
        flags ??= new Uint8Array(plan.states.length);
        if (!e.retryable || isInsufficientQuota(e)) {
          flags[idx]! |= EXCLUDED;
          this.emit({ type: 'failover', alias: plan.alias, deploymentId: st.deployment.id, kind: e.kind, status: e.status, message: safeText(e.message, 300) });
          continue;
        }
        flags[idx]! |= FAILED;
        if (retry >= this.numRetries) return { ok: false, err: e, state: st, retryAfterMs: this.cooldownRemaining(plan, end) };
        const fresh = anyEligible(plan, end, flags, EXCLUDED | FAILED);
        if (!fresh && !anyEligible(plan, end, flags, EXCLUDED)) {
          // Everything left cools down: do not sleep out a cooldown, let fallbacks take over.
          return { ok: false, err: e, state: st, retryAfterMs: this.cooldownRemaining(plan, end) };
        }
        const delay = retryDelayMs(e, retry, this.settings, this.random, fresh);
        if (delay < 0) return { ok: false, err: e, state: st, retryAfterMs: undefined };
        retry++;
        counters.retries++;
        this.emit({
          type: 'retry',
          alias: plan.alias,
          deploymentId: st.deployment.id,
          retry,
          delayMs: delay,
          kind: e.kind,
          status: e.status,
          message: safeText(e.message, 300),
        });
        if (delay > 0) {
          try {
            await this.clock.sleep(delay, signal);
          } catch (err) {
            if (signal?.aborted) throw toAbortError(signal);
            throw err;
          }
        }
        continue;
      }
      st.successes++;
      st.recordLatency(this.clock.now() - start);
      return { ok: true, result: this.makeResult(value, st, plan.alias, counters.retries, fallbackFrom) };
    }
  }

  private makeResult<T>(value: T, st: DeploymentState, alias: string, retries: number, fallbackFrom: string | undefined): RouteResult<T> {
    let released = false;
    const release = (outcome: { ok: boolean; error?: UpstreamError }): void => {
      if (released) return;
      released = true;
      st.inFlight--;
      if (!outcome.ok && outcome.error instanceof UpstreamError) this.recordFailure(st, outcome.error, this.clock.now(), Number.NaN);
    };
    return fallbackFrom === undefined
      ? { value, deployment: st.deployment, alias, retries, release }
      : { value, deployment: st.deployment, alias, retries, fallbackFrom, release };
  }

  /**
   * Books a failure on `st`: totals, last error, latency penalty for timeouts, and the cooldown rules
   * (429 at once; otherwise allowed_fails within 60 s).
   * @param latencyMs Time the failed attempt took (ms), NaN when not an attempt-level failure.
   */
  private recordFailure(st: DeploymentState, e: UpstreamError, now: number, latencyMs: number): void {
    st.failures++;
    st.lastError = describeFailure(e);
    st.lastErrorCode = e.upstreamCode;
    // A timeout is the slowest possible answer: let latency-based routing see it.
    if (e.kind === 'timeout' && latencyMs >= 0) st.recordLatency(latencyMs);
    if (!countsForCooldown(e.kind) || this.cooldownMs <= 0) return;
    const recent = st.noteFailure(now);
    let duration = 0;
    let reason: 'rate_limit' | 'allowed_fails' | 'usage_limit' = 'allowed_fails';
    if (e.kind === 'rate_limit' && e.upstreamCode === USAGE_LIMIT_CODE) {
      // A plan's usage limit (ChatGPT backend): cooled down until the reset it names, however far (the 5-hour
      // or weekly window), so the group's fallbacks serve until then; MAX_RATE_LIMIT_COOLDOWN_MS when it names none.
      duration = Math.max(this.cooldownMs, e.retryAfterMs ?? MAX_RATE_LIMIT_COOLDOWN_MS);
      reason = 'usage_limit';
    } else if (e.kind === 'rate_limit') {
      duration = Math.max(this.cooldownMs, Math.min(e.retryAfterMs ?? 0, MAX_RATE_LIMIT_COOLDOWN_MS));
      reason = 'rate_limit';
    } else if (recent >= this.allowedFails) {
      duration = this.cooldownMs;
    } else {
      return;
    }
    const until = now + duration;
    if (until <= st.cooldownUntil) return;
    st.cooldownUntil = until;
    this.emit({
      type: 'cooldown',
      alias: this.stateAlias.get(st) ?? st.deployment.alias,
      deploymentId: st.deployment.id,
      untilMs: until,
      durationMs: duration,
      reason,
      recentFailures: recent,
    });
  }

  /** Time in ms until the first cooled-down deployment of `plan` is available again, or undefined when none cools down. */
  private cooldownRemaining(plan: GroupPlan, now: number): number | undefined {
    let min = Infinity;
    for (const st of plan.states) if (st.cooldownUntil > now && st.cooldownUntil - now < min) min = st.cooldownUntil - now;
    return min === Infinity ? undefined : min;
  }

  /** The error of a group whose deployments all cool down (LiteLLM answers 429 "no deployments available" too). */
  private unavailableError(plan: GroupPlan, waitMs: number): UpstreamError {
    let last: string | null = null;
    let lastCode: string | undefined;
    let lastUntil = -Infinity;
    for (const st of plan.states) {
      if (st.lastError !== null && st.cooldownUntil > lastUntil) {
        last = st.lastError;
        lastCode = st.lastErrorCode;
        lastUntil = st.cooldownUntil;
      }
    }
    const n = plan.states.length;
    const what = n === 1 ? 'its only deployment is' : `all ${n} deployments are`;
    return new UpstreamError(
      'rate_limit',
      `${what} cooling down after recent failures (for ${Math.ceil(waitMs / 1000)} s more)${last ? `; last error: ${last}` : ''}`,
      429,
      waitMs > 0 ? waitMs : undefined,
      // A plan's usage limit keeps its code, so the client learns that (not a transient rate limit).
      lastCode === USAGE_LIMIT_CODE ? USAGE_LIMIT_CODE : undefined,
    );
  }

  private finalError(plan: GroupPlan, out: { err: UpstreamError; state: DeploymentState | undefined; retryAfterMs: number | undefined }, notes: string[] | null): GatewayError {
    const ge = toClientError(out.err, { alias: plan.alias, deployment: out.state?.deployment, retryAfterMs: out.retryAfterMs });
    if (notes === null || notes.length === 0) return ge;
    return new GatewayError(ge.status, `${ge.message} Fallbacks tried, and they failed too: ${notes.join(', ')}.`, ge.type, ge.code, ge.param, ge.headers);
  }

  private emit(e: RouterEvent): void {
    if (this.onEvent === undefined) return;
    try {
      this.onEvent(e);
    } catch {
      // A logging sink must never break routing.
    }
  }
}
