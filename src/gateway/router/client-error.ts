/**
 * What the client (Codex) sees when routing finally fails: one table mapping each {@link FailureKind} to
 * an HTTP status, OpenAI error `type`/`code` and a user-facing message (what happened, what to do next).
 *
 * Status choices follow how Codex 0.169 reacts (shared/notes/codex-wire.md, "Errors as Codex handles
 * them"): 5xx are retried by Codex; 429 WITH `Retry-After: N` is retried after N s, while 429 without it
 * fails at once, so every plain rate-limit answer carries Retry-After; a 429 whose body code is
 * `insufficient_quota` is fatal ("Quota exceeded"), which is right for an exhausted account; 400 is fatal
 * and its message is shown to the user. Change the mapping in {@link CLIENT_ERROR_TABLE} only.
 */

import { GatewayError, USAGE_LIMIT_CODE, type FailureKind, type UpstreamError } from '../errors';
import type { Deployment } from '../types';
import { safeText } from './redact';

/** Retry-After estimate (ms) when neither the upstream nor the router's cooldown gives one (LiteLLM's default cooldown). */
export const DEFAULT_RETRY_AFTER_ESTIMATE_MS = 5_000;

/** Context for {@link toClientError}. */
export interface ClientErrorContext {
  /** The alias the client asked for. */
  alias: string;
  /** The deployment whose failure this is, when known (names provider, model, key source). */
  deployment?: Deployment;
  /**
   * Estimate in ms used for `Retry-After` on a rate limit when the upstream sent none (the router passes
   * the remaining cooldown of the group). Default {@link DEFAULT_RETRY_AFTER_ESTIMATE_MS}.
   */
  retryAfterMs?: number;
}

/** One row of {@link CLIENT_ERROR_TABLE}. */
export interface ClientErrorRule {
  /** HTTP status sent to the client. */
  status: number;
  /** OpenAI error `type`. */
  type: string;
  /** OpenAI error `code`; a function when it depends on the upstream error. */
  code: string | null | ((err: UpstreamError) => string | null);
  /** OpenAI error `param`. */
  param: string | null;
  /** Whether a `Retry-After` header (whole seconds, >= 1) is sent. */
  retryAfter: boolean;
  /** User-facing message; must not contain secrets (inputs are redacted by the caller). */
  message: (m: MessageParts) => string;
}

/** Pieces the message builders use, already redacted. */
export interface MessageParts {
  alias: string;
  /** `model 'alias' (provider/model, model_list[i])` or `model 'alias'`. */
  who: string;
  /** Provider id, or `the provider` when unknown. */
  provider: string;
  /** Upstream model name, or the alias when unknown. */
  model: string;
  /** `model_list[i]`, or `its model_list entry`. */
  entry: string;
  /** The upstream's message, redacted and shortened. */
  upstream: string;
  /** Upstream HTTP status (0 when none). */
  status: number;
  /** Retry-After in whole seconds (rate limits), else 0. */
  retryAfterS: number;
  deployment?: Deployment;
}

function keyAdvice(p: MessageParts): string {
  const d = p.deployment;
  const suggested = `${(d?.provider ?? 'PROVIDER').toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_API_KEY`;
  if (!d) return `Check the API key configured for '${p.alias}' in config.yaml.`;
  switch (d.apiKey.kind) {
    case 'env':
      return `The key comes from the environment variable ${d.apiKey.name}. Run 'Codex Gateway: Set Provider Key' for ${d.apiKey.name}, or export ${d.apiKey.name} with a valid key before starting the gateway.`;
    case 'literal':
      return `The key comes from the api_key in ${p.entry} of config.yaml. Correct it there, or better, write api_key: os.environ/${suggested} and run 'Codex Gateway: Set Provider Key' or export ${suggested}.`;
    case 'none':
    default:
      return `No api_key is configured in ${p.entry}. Add api_key: os.environ/${suggested} to it in config.yaml, then run 'Codex Gateway: Set Provider Key' or export ${suggested}.`;
  }
}

/** The mapping FailureKind -> client error. Insufficient quota is the separate row {@link INSUFFICIENT_QUOTA_RULE}. */
export const CLIENT_ERROR_TABLE: Readonly<Record<FailureKind, ClientErrorRule>> = {
  rate_limit: {
    status: 429,
    type: 'rate_limit_error',
    code: 'rate_limit_exceeded',
    param: null,
    retryAfter: true,
    message: (p) =>
      `${p.deployment ? `${p.provider} rate-limited ${p.who}` : `${p.who} is temporarily unavailable`}: ${p.upstream} Try again in about ${p.retryAfterS} s (Codex retries by itself). To avoid this, add another deployment or a fallback for '${p.alias}' in config.yaml.`,
  },
  server: {
    status: 502,
    type: 'server_error',
    code: 'upstream_error',
    param: null,
    retryAfter: false,
    message: (p) =>
      `${p.provider} returned a server error${p.status ? ` (HTTP ${p.status})` : ''} for ${p.who}: ${p.upstream} Codex retries by itself; if it keeps failing, check the provider's status or add a fallback for '${p.alias}' in config.yaml.`,
  },
  bad_response: {
    status: 502,
    type: 'server_error',
    code: 'bad_upstream_response',
    param: null,
    retryAfter: false,
    message: (p) =>
      `${p.provider} sent an answer for ${p.who} that is not a complete, valid answer: ${p.upstream} Codex retries by itself; if it keeps failing, check api_base in ${p.entry} (a proxy or a wrong URL can answer with a web page) or add a fallback for '${p.alias}' in config.yaml.`,
  },
  timeout: {
    status: 504,
    type: 'timeout_error',
    code: 'upstream_timeout',
    param: null,
    retryAfter: false,
    message: (p) =>
      `${p.provider} did not answer ${p.who} in time: ${p.upstream} Raise the limit it names (litellm_params.timeout or stream_timeout in ${p.entry}, or gateway_settings.stream_idle_timeout_ms), or add a fallback for '${p.alias}' in config.yaml.`,
  },
  connection: {
    status: 502,
    type: 'server_error',
    code: 'upstream_unreachable',
    param: null,
    retryAfter: false,
    message: (p) =>
      `Could not reach ${hostOf(p.deployment)} for ${p.who}: ${p.upstream} Check that the server is running and that api_base in ${p.entry} is right (and any proxy or network settings).`,
  },
  // 400, not 401: Codex treats 401 as "refresh your own token and retry" (it re-runs its auth command and
  // retries five times, which then cools the deployment down and ends in a confusing 429); a 400 is
  // fatal at once and Codex shows its message (verified with Codex 0.169, test/e2e/codex.test.ts).
  auth: {
    status: 400,
    type: 'authentication_error',
    code: 'invalid_api_key',
    param: null,
    retryAfter: false,
    // The upstream's own text is left out on purpose: auth errors often echo (part of) the key.
    message: (p) => `${p.provider} rejected the API key for ${p.who}${p.status ? ` (HTTP ${p.status})` : ''}. ${keyAdvice(p)}`,
  },
  // 400 for the same reason: Codex retries a 404.
  not_found: {
    status: 400,
    type: 'invalid_request_error',
    code: 'model_not_found',
    param: 'model',
    retryAfter: false,
    message: (p) =>
      `${p.provider} has no model '${p.model}' (used for alias '${p.alias}', ${p.entry}): ${p.upstream} Fix litellm_params.model in ${p.entry} of config.yaml (use a model name the provider lists), or check api_base.`,
  },
  bad_request: {
    status: 400,
    type: 'invalid_request_error',
    code: (err) => err.upstreamCode ?? null,
    param: null,
    retryAfter: false,
    message: (p) =>
      `${p.provider} rejected the request for ${p.who}: ${p.upstream} If the model does not support a parameter the client sends, set litellm_settings.drop_params: true in config.yaml or pick another model.`,
  },
  context_window: {
    status: 400,
    type: 'invalid_request_error',
    code: 'context_length_exceeded',
    param: 'input',
    retryAfter: false,
    message: (p) =>
      `The conversation is too long for ${p.who}${p.deployment?.modelInfo.contextWindow ? ` (context window ${p.deployment.modelInfo.contextWindow} tokens)` : ''}: ${p.upstream} Start a new thread or compact it (/compact), or set context_window_fallbacks for '${p.alias}' in config.yaml to a model with a larger window.`,
  },
  not_implemented: {
    status: 501,
    type: 'server_error',
    code: 'not_implemented',
    param: null,
    retryAfter: false,
    message: (p) =>
      `Model '${p.alias}' is routed to ${p.provider}${p.deployment ? ` over the '${p.deployment.wire}' wire API` : ''}, which this version of Codex Gateway cannot call yet: ${p.upstream} Route '${p.alias}' to an OpenAI-compatible deployment or add a fallback for it in config.yaml.`,
  },
};

/** Rate limit whose upstream code is `insufficient_quota`: Codex shows "Quota exceeded" and stops (no Retry-After). */
export const INSUFFICIENT_QUOTA_RULE: ClientErrorRule = {
  status: 429,
  type: 'insufficient_quota',
  code: 'insufficient_quota',
  param: null,
  retryAfter: false,
  message: (p) =>
    `${p.provider} says the account behind ${p.who} has no quota left: ${p.upstream} Add credit or raise the limit with ${p.provider}, or route '${p.alias}' to another provider (or add a fallback) in config.yaml.`,
};

/**
 * A provider key that is referenced but not set (no upstream call was made). The message built by the
 * adapter already says which variable and how to set it; it contains no secret.
 */
export const MISSING_KEY_RULE: ClientErrorRule = {
  status: 400,
  type: 'authentication_error',
  // `chatgpt_*`: the ChatGPT plan is off, or the user's Codex sign-in cannot be used (chatgpt/plan.ts).
  code: (err) => (err.upstreamCode?.startsWith('chatgpt_') ? err.upstreamCode : 'missing_api_key'),
  param: null,
  retryAfter: false,
  message: (p) => `Model '${p.alias}' cannot be called: ${p.upstream}`,
};

/**
 * A plan's usage limit (`usage_limit_reached`, the ChatGPT backend) with no fallback left: 429 whose error
 * `type` is `usage_limit_reached`, which Codex 0.169 reports as "You've hit your usage limit" and does not
 * retry (openai/codex: a 429 body of that type is its fatal UsageLimitReached error); Retry-After is the
 * time to the reset for other clients.
 */
export const USAGE_LIMIT_RULE: ClientErrorRule = {
  status: 429,
  type: USAGE_LIMIT_CODE,
  code: USAGE_LIMIT_CODE,
  param: null,
  retryAfter: true,
  message: (p) =>
    `The usage limit of your ChatGPT plan is reached for ${p.who}; it resets in about ${fmtWait(p.retryAfterS)}. To keep working until then, add a fallback for '${p.alias}' (router_settings.fallbacks) to another deployment in config.yaml.`,
};

/** A wait in whole seconds as `N s`, `N min` or `N h M min`. */
function fmtWait(s: number): string {
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  return m < 120 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** True for an upstream rate limit that is really an exhausted quota (OpenAI's `insufficient_quota`). */
export function isInsufficientQuota(err: UpstreamError): boolean {
  return err.kind === 'rate_limit' && err.upstreamCode === 'insufficient_quota';
}

function hostOf(d: Deployment | undefined): string {
  if (!d) return 'the provider';
  try {
    return new URL(d.apiBase).host || 'the provider';
  } catch {
    return 'the provider';
  }
}

function sentence(s: string): string {
  const t = s.trim();
  if (t === '') return 'no details given.';
  return /[.!?…]$/.test(t) ? t : `${t}.`;
}

/**
 * Maps a final UpstreamError (after retries and fallbacks) to the GatewayError the client sees, using
 * {@link CLIENT_ERROR_TABLE}. Never includes a key: the upstream message is redacted (and the deployment's
 * literal api_key removed verbatim), auth messages name only the key's source (env var name or
 * `model_list[i]`).
 * @returns A GatewayError with status/type/code from the table; rate limits (except insufficient_quota)
 *   carry `Retry-After` in whole seconds (>= 1): the upstream's value, else `ctx.retryAfterMs`, else 5 s.
 */
export function toClientError(err: UpstreamError, ctx: ClientErrorContext): GatewayError {
  const rule = isInsufficientQuota(err)
    ? INSUFFICIENT_QUOTA_RULE
    : err.kind === 'rate_limit' && err.upstreamCode === USAGE_LIMIT_CODE
      ? USAGE_LIMIT_RULE
    : err.kind === 'auth' && (err.upstreamCode === 'missing_key' || err.upstreamCode?.startsWith('chatgpt_'))
      ? MISSING_KEY_RULE
      : (CLIENT_ERROR_TABLE[err.kind] ?? CLIENT_ERROR_TABLE.server);
  const d = ctx.deployment;
  const literal = d?.apiKey.kind === 'literal' ? d.apiKey.value : undefined;
  const retryMs = err.retryAfterMs ?? ctx.retryAfterMs ?? DEFAULT_RETRY_AFTER_ESTIMATE_MS;
  const retryAfterS = rule.retryAfter ? Math.max(1, Math.ceil(retryMs / 1000)) : 0;
  const alias = safeText(ctx.alias, 120);
  const entry = d ? `model_list[${d.index}]` : 'its model_list entry';
  const parts: MessageParts = {
    alias,
    who: d ? `model '${alias}' (${d.provider}/${d.model}, ${entry})` : `model '${alias}'`,
    provider: d?.provider ?? 'The provider',
    model: d ? d.model : alias,
    entry,
    upstream: sentence(safeText(err.message, 500, literal)),
    status: err.status,
    retryAfterS,
    deployment: d,
  };
  const code = typeof rule.code === 'function' ? rule.code(err) : rule.code;
  const headers: Record<string, string> = rule.retryAfter ? { 'Retry-After': String(retryAfterS) } : {};
  return new GatewayError(rule.status, rule.message(parts), rule.type, code, rule.param, headers);
}

/**
 * Suggests the known alias closest to `input`: a case-insensitive match first, then the smallest edit
 * distance within max(2, length/3), then an alias that contains the input or is contained in it.
 * @returns The suggestion, or undefined when nothing is close.
 */
export function didYouMean(input: string, known: readonly string[]): string | undefined {
  const q = input.toLowerCase();
  if (q === '') return undefined;
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(q.length / 3)) + 1;
  for (const k of known) {
    const d = levenshtein(q, k.toLowerCase(), bestD);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  if (best !== undefined) return best;
  if (q.length < 3) return undefined;
  let bestLen = Infinity;
  for (const k of known) {
    const kl = k.toLowerCase();
    if ((kl.includes(q) || q.includes(kl)) && Math.abs(kl.length - q.length) < bestLen) {
      bestLen = Math.abs(kl.length - q.length);
      best = k;
    }
  }
  return best;
}

/** Edit distance, giving up (returning `limit`) once it cannot be below `limit`. */
function levenshtein(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin >= limit) return limit;
    [prev, cur] = [cur, prev];
  }
  return Math.min(prev[b.length]!, limit);
}

/** How many known aliases an unknown-alias message lists before "and N more". */
const LISTED_ALIASES = 30;

/**
 * The error (HTTP 400) for a model name no model group serves (OpenAI's `model_not_found`, param `model`). The message
 * lists the known aliases (up to 30) and a did-you-mean, and says how to add the alias.
 */
export function unknownAliasError(alias: string, known: readonly string[]): GatewayError {
  const shown = safeText(alias, 120);
  const guess = didYouMean(alias, known);
  let msg: string;
  if (known.length === 0) {
    msg = `The model '${shown}' is not configured: this gateway has no models yet. Add entries to model_list in config.yaml (model_name is the name Codex asks for).`;
  } else {
    const list = known.slice(0, LISTED_ALIASES).join(', ') + (known.length > LISTED_ALIASES ? ` and ${known.length - LISTED_ALIASES} more` : '');
    msg =
      `The model '${shown}' is not configured in this gateway.` +
      (guess !== undefined ? ` Did you mean '${guess}'?` : '') +
      ` Known models: ${list}. Pick one of them (codex -m NAME, ANTHROPIC_MODEL for Claude Code, or the model picker), map the name with router_settings.model_group_alias, or add a model_list entry with model_name: ${shown} to config.yaml.`;
  }
  // 400 rather than OpenAI's 404: Codex retries a 404 but stops at once on a 400 and shows the message.
  return new GatewayError(400, msg, 'invalid_request_error', 'model_not_found', 'model');
}
