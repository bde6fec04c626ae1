/**
 * Upstream HTTP: one undici dispatcher with keep-alive pools (and `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`
 * support through undici's EnvHttpProxyAgent), per-deployment request targets computed once, provider key
 * resolution, and classification of upstream failures into {@link UpstreamError}s for the router.
 */
import type { Dispatcher } from 'undici';
// Deep imports on purpose: undici's index also loads fetch, WebSocket, EventSource and the cache API, which
// cost about 9 MB of RSS in the gateway process and are never used here (undici 7 has no "exports" map,
// and the version is pinned).
import EnvHttpProxyAgent = require('undici/lib/dispatcher/env-http-proxy-agent.js');
import requestOnDispatcher = require('undici/lib/api/api-request.js');
import type { Readable } from 'node:stream';
import { UpstreamError } from './errors';
import { providerFor } from './config/providers';
import { fmtMs, USAGE_LIMIT_CODE, usageLimitResetMs } from './upstream-answer';
import type { Deployment, SecretResolver, WireApi } from './types';

/** Connection and idle timeouts of the shared dispatcher, in ms. */
export interface UpstreamTimeouts {
  /** TCP + TLS connect timeout [10000]. */
  connectMs: number;
  /** Max idle time between two body chunks of an upstream response [300000, Codex's stream idle default]. */
  bodyIdleMs: number;
  /** Keep-alive time of an idle pooled socket [30000]. */
  keepAliveMs: number;
}

const DEFAULT_TIMEOUTS: UpstreamTimeouts = { connectMs: 10_000, bodyIdleMs: 300_000, keepAliveMs: 30_000 };

/**
 * Creates the dispatcher every upstream request goes through. EnvHttpProxyAgent honours `HTTPS_PROXY`,
 * `HTTP_PROXY` and `NO_PROXY` (lower-case too) and behaves as a plain keep-alive Agent when none is set.
 */
export function createDispatcher(t: Partial<UpstreamTimeouts> = {}): Dispatcher {
  const o = { ...DEFAULT_TIMEOUTS, ...t };
  return new EnvHttpProxyAgent({
    connect: { timeout: o.connectMs },
    keepAliveTimeout: o.keepAliveMs,
    keepAliveMaxTimeout: Math.max(o.keepAliveMs, 60_000),
    bodyTimeout: o.bodyIdleMs,
    connections: 128,
    pipelining: 1,
  });
}

/** An upstream endpoint split for undici's dispatcher API (no URL parsing per request). */
export interface Endpoint {
  /** `scheme://host[:port]` */
  origin: string;
  /** Path and query, e.g. `/v1/chat/completions`. */
  path: string;
  /** The whole URL, for messages. */
  url: string;
}

/** Splits a URL into an {@link Endpoint}. @throws TypeError for an invalid URL. */
export function endpoint(url: string): Endpoint {
  const u = new URL(url);
  return { origin: u.origin, path: `${u.pathname}${u.search}`, url };
}

/** Where and how to call one deployment; computed once per deployment. */
export interface UpstreamTarget {
  /** `POST` endpoint for Chat Completions. */
  chat: Endpoint;
  /** `POST` endpoint for the Responses API. */
  responses: Endpoint;
  /** `POST` endpoint for Anthropic Messages. */
  messages: Endpoint;
  /** Header that carries the key: `authorization` (Bearer), `api-key` (Azure) or `x-api-key` (Anthropic). */
  authHeader: 'authorization' | 'api-key' | 'x-api-key';
  /** Headers sent on every request (content type, extra_headers from the config). */
  baseHeaders: Record<string, string>;
}

const targets = new WeakMap<Deployment, UpstreamTarget>();

/**
 * The request target of a deployment (memoised per Deployment object, so a config reload, which builds
 * new objects, recomputes it). URLs, the key's header and fixed headers come from the provider's spec
 * (config/providers.ts: `endpoints`, `authHeader`, `headers`); by default `{api_base}/chat/completions`,
 * `{api_base}/responses`, and `{api_base}/v1/messages` (Anthropic's path: a base without `/v1`, as
 * Anthropic and DeepSeek's or Kimi's Anthropic endpoints are written, gets it added).
 */
export function targetFor(d: Deployment): UpstreamTarget {
  let t = targets.get(d);
  if (t) return t;
  const base = d.apiBase.replace(/\/+$/, '');
  const spec = providerFor(d.provider);
  const urls = spec?.endpoints?.(base, d.model, d.extraBody) ?? {
    chat: `${base}/chat/completions`,
    responses: `${base}/responses`,
    messages: `${/\/v1$/.test(base) ? base : `${base}/v1`}/messages`,
  };
  t = {
    chat: endpoint(urls.chat),
    responses: endpoint(urls.responses),
    messages: endpoint(urls.messages),
    authHeader: spec?.authHeader ?? 'authorization',
    baseHeaders: { 'content-type': 'application/json', ...spec?.headers, ...d.extraHeaders },
  };
  targets.set(d, t);
  return t;
}

/**
 * The request headers for one call to a deployment: its base headers (content type, provider headers,
 * `extra_headers`), `accept`, and the key in the provider's header (`Authorization: Bearer`, Azure's
 * `api-key`, Anthropic's `x-api-key`). A call on the `messages` wire always carries the key as `x-api-key`
 * and an `anthropic-version` (Anthropic API reference, "Authentication" / "Versions"), whatever the
 * provider (DeepSeek, Kimi, Zhipu and Ollama serve the Messages wire too); `extra_headers` can override it.
 */
export function upstreamHeaders(d: Deployment, key: string | undefined, accept: string, wire?: WireApi): Record<string, string> {
  const t = targetFor(d);
  const h: Record<string, string> = wire === 'messages' ? { 'anthropic-version': ANTHROPIC_VERSION, ...t.baseHeaders, accept } : { ...t.baseHeaders, accept };
  const header = wire === 'messages' ? 'x-api-key' : t.authHeader;
  if (key) h[header] = header === 'authorization' ? `Bearer ${key}` : key;
  return h;
}

/** The Messages API version sent when a deployment's headers name none. */
export const ANTHROPIC_VERSION = '2023-06-01';

/** Body params that configure the transport, not the model; never forwarded in a request body. */
export const TRANSPORT_PARAMS: ReadonlySet<string> = new Set(['api_version', 'api_key', 'api_base', 'timeout', 'stream_timeout']);

/**
 * How to tell the user to provide a key. The CLI says to export the variable; the VS Code extension
 * points at its "Set Provider Key" command.
 */
export type KeyHint = (keyName: string) => string;

/** Default hint for the standalone CLI. */
export const cliKeyHint: KeyHint = (name) =>
  `export ${name}=... in the gateway's environment (or run 'Codex Gateway: Set Provider Key' in VS Code) and retry`;

/**
 * Resolves a deployment's provider key.
 * @returns the key, or undefined when the deployment needs none.
 * @throws UpstreamError kind `auth`, code `missing_key`, whose message names the variable and the fix
 *   (e.g. "DEEPSEEK_API_KEY is not set: ..."), when a referenced key is not set.
 */
export function resolveKey(d: Deployment, secrets: SecretResolver, hint: KeyHint, keyRequired: boolean): string | undefined {
  const ref = d.apiKey;
  if (ref.kind === 'literal') return ref.value;
  if (ref.kind === 'env') {
    const v = secrets(ref.name);
    if (v) return v;
    throw new UpstreamError('auth', `${ref.name} is not set: ${hint(ref.name)}`, 0, undefined, 'missing_key');
  }
  if (keyRequired) {
    throw new UpstreamError(
      'auth',
      `model_list[${d.index}] (alias "${d.alias}") has no api_key for provider ${d.provider}: add api_key: os.environ/NAME to its litellm_params`,
      0,
      undefined,
      'missing_key',
    );
  }
  return undefined;
}

/** The successful start of an upstream response: status 2xx, headers, and the body still streaming. */
export interface UpstreamResponse {
  /** HTTP status (2xx). */
  status: number;
  /** Response headers as undici gives them (lower-case names). */
  headers: Record<string, string | string[] | undefined>;
  /** The body, not yet read: iterate it for chunks (Buffers), or read it whole with `text()` / `json()`. */
  body: Readable & { text(): Promise<string>; json(): Promise<unknown> };
}

/**
 * Sends one JSON POST upstream and waits for the response headers.
 *
 * @param dispatcher the pool to send through (see {@link createDispatcher}).
 * @param target the endpoint.
 * @param headers request headers (auth included).
 * @param body serialised JSON body.
 * @param signal aborts the request (client disconnect); the upstream socket is closed at once.
 * @param headersTimeoutMs time allowed until response headers arrive, in ms (the deployment's `timeout`, or
 *   `stream_timeout` for streams). Also bounds the reading of a non-2xx answer's error body.
 * @param redact the provider key, scrubbed from the upstream's error text (see {@link scrubSecrets}).
 * @param bodyTimeoutMs undici's own limit on the silence between two body chunks, in ms; 0 turns it off
 *   for callers that bound the body themselves (the proxy, see upstream-answer.ts). Default: the
 *   dispatcher's (300000).
 * @returns the response when the status is 2xx.
 * @throws UpstreamError: classified HTTP failures (see {@link classifyHttpFailure}), `timeout` when no
 *   headers came in time, `connection` on network errors. An abort rethrows the abort reason.
 */
export async function postJson(
  dispatcher: Dispatcher,
  target: Endpoint,
  headers: Record<string, string>,
  body: string,
  signal: AbortSignal,
  headersTimeoutMs: number,
  redact: string | undefined,
  bodyTimeoutMs?: number,
): Promise<UpstreamResponse> {
  let res: Dispatcher.ResponseData;
  try {
    res = await requestOnDispatcher.call(dispatcher, {
      origin: target.origin,
      path: target.path,
      method: 'POST',
      headers,
      body,
      signal,
      headersTimeout: headersTimeoutMs,
      ...(bodyTimeoutMs !== undefined ? { bodyTimeout: bodyTimeoutMs } : {}),
    });
  } catch (e) {
    if (signal.aborted) throw signal.reason ?? e;
    throw networkError(e, target.url, headersTimeoutMs);
  }
  if (res.statusCode >= 200 && res.statusCode < 300) return res as unknown as UpstreamResponse;
  let text = '';
  try {
    text = await readLimited(res.body, 64 * 1024, Math.min(headersTimeoutMs, 10_000));
  } catch {
    /* the status is enough */
  }
  throw classifyHttpFailure(res.statusCode, res.headers, text, redact);
}

/**
 * Reads at most `limit` bytes of a body as text, discarding the rest; gives up (destroying the body)
 * after `timeoutMs`.
 */
async function readLimited(body: Readable, limit: number, timeoutMs: number): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  const timer = setTimeout(() => body.destroy(new Error('error body timed out')), timeoutMs);
  try {
    for await (const c of body) {
      if (n < limit) {
        chunks.push(c as Buffer);
        n += (c as Buffer).length;
      }
    }
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

/** Maps a network-level undici error to a retryable UpstreamError naming only the host. */
function networkError(e: unknown, url: string, headersTimeoutMs: number): UpstreamError {
  const err = e as { code?: string; name?: string; message?: string };
  let host = url;
  try {
    host = new URL(url).host;
  } catch {
    /* keep url */
  }
  if (err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_CONNECT_TIMEOUT' || err.name === 'TimeoutError') {
    const which = err.code === 'UND_ERR_CONNECT_TIMEOUT' ? 'no connection' : `no response headers within ${fmtMs(headersTimeoutMs)}`;
    return new UpstreamError('timeout', `${host} did not answer in time (${which}, ${err.code ?? err.name})`);
  }
  return new UpstreamError('connection', `could not reach ${host} (${err.code ?? err.message ?? 'network error'})`);
}

const CONTEXT_RE = /context[ _-]?(length|window)|maximum context|too many tokens|prompt is too long|input is too long|reduce the length|exceeds the (model'?s )?(max|context)/i;

/**
 * Parses a `Retry-After` header: delay-seconds or an HTTP-date (RFC 9110 §10.2.3); also the
 * non-standard `retry-after-ms` that OpenAI sends.
 * @returns the delay in ms, or undefined.
 */
export function parseRetryAfter(headers: Record<string, string | string[] | undefined>, now = Date.now()): number | undefined {
  const ms = headers['retry-after-ms'];
  if (typeof ms === 'string' && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms));
  const v = headers['retry-after'];
  if (typeof v !== 'string' || !v.trim()) return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/**
 * Turns a non-2xx upstream answer into an UpstreamError.
 * 429 -> rate_limit (with Retry-After; `insufficient_quota` kept as upstreamCode; a plan's
 * `usage_limit_reached` keeps that code and takes its wait from the body's `resets_at` / `resets_in_seconds`); 401/403 -> auth;
 * 404 -> not_found; 408 -> timeout; 5xx -> server; any other status whose code is
 * `context_length_exceeded` or whose message reads like a context-length error -> context_window; the
 * rest -> bad_request. The message is `HTTP <status>: <upstream message>`, scrubbed of secrets.
 * @param redact a provider key to scrub from the upstream's message (some upstreams echo part of it).
 */
export function classifyHttpFailure(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  bodyText: string,
  redact?: string,
): UpstreamError {
  let message = '';
  let code: string | undefined;
  let limitResetMs: number | undefined;
  try {
    let j = JSON.parse(bodyText) as any;
    if (Array.isArray(j)) j = j[0];
    const e = j?.error ?? j;
    if (typeof e === 'string') message = e;
    else {
      message = String(e?.message ?? j?.message ?? j?.detail ?? '');
      const c = e?.code ?? e?.type ?? e?.status;
      if (c !== undefined && c !== null) code = String(c);
      // A plan's usage limit (ChatGPT backend): the reset time in the body is the real end of the wait.
      if (status === 429 && (e?.type === USAGE_LIMIT_CODE || e?.code === USAGE_LIMIT_CODE)) {
        code = USAGE_LIMIT_CODE;
        limitResetMs = usageLimitResetMs(e, Date.now());
        if (!message) message = 'the usage limit of the plan is reached';
      }
    }
  } catch {
    message = bodyText.slice(0, 500);
  }
  message = scrubSecrets(message.trim(), redact);
  const retryAfterMs = limitResetMs ?? parseRetryAfter(headers);
  const summary = message ? `HTTP ${status}: ${message}` : `HTTP ${status}`;
  if (status === 429) {
    const err = new UpstreamError('rate_limit', summary, status, retryAfterMs, code);
    err.headers = headers;
    return err;
  }
  if (status === 401 || status === 403) return new UpstreamError('auth', summary, status, undefined, code);
  if (status === 404) return new UpstreamError('not_found', summary, status, undefined, code);
  if (status === 408) return new UpstreamError('timeout', summary, status, retryAfterMs, code);
  if (status >= 500) return new UpstreamError('server', summary, status, retryAfterMs, code);
  if (code === 'context_length_exceeded' || CONTEXT_RE.test(message)) {
    return new UpstreamError('context_window', summary, status, undefined, code ?? 'context_length_exceeded');
  }
  return new UpstreamError('bad_request', summary, status, undefined, code);
}

/**
 * Removes secrets from text that came from an upstream: the exact key, and anything shaped like a
 * provider key (`sk-...`, `sk-ant-...`, `AIza...`, long bearer-ish tokens after "key").
 */
export function scrubSecrets(text: string, key?: string): string {
  let t = text;
  if (key && key.length >= 6) t = t.split(key).join('[redacted]');
  return t
    .replace(/\b(sk|rk|pk)-[A-Za-z0-9_\-*]{8,}/g, '[redacted]')
    .replace(/\bAIza[0-9A-Za-z_\-]{20,}/g, '[redacted]')
    .replace(/\bgsk_[A-Za-z0-9]{20,}/g, '[redacted]');
}
