/**
 * The two proxy paths: `POST /v1/responses` (Codex) and `POST /v1/chat/completions` (every other OpenAI
 * client). Each request is routed by alias through the router (retries, cooldowns, fallbacks happen before
 * the first byte is sent; an attempt succeeds only once its answer passed its first check, see
 * upstream-answer.ts), then the upstream answer is streamed to the client as it arrives: passed through a
 * whole SSE frame at a time for a same-protocol upstream, translated event by event otherwise. The
 * contract under failure is docs/reliability.md.
 *
 * Responses are written straight to Node's `ServerResponse` (no web-stream conversion on the hot path).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { AccountCall, UpstreamAccounts } from './accounts';
import { GatewayError, UpstreamError } from './errors';
import type { Logger, RequestLogRecord } from './log';
import type { RouteResult } from './router';
import { checkRequestBody, type CheckedRoute } from './request-check';
import type { DeploymentFacts, Runtime } from './runtime';
import type { Deployment, SecretResolver } from './types';
import { postJson, resolveKey, targetFor, upstreamHeaders, type KeyHint, type UpstreamResponse } from './upstream';
import { fmtMs, judgeJson, readWhole, scrubUpstreamText, SseReader, withoutKey, type Secrets } from './upstream-answer';
import type { HubEvent, HubRequest } from './hub/types';
import { EMPTY_TOOL_NAME_MAP } from './translate';
import { estimateInputTokens } from './wires/messages/door';
import { DOORS, UPSTREAMS, type DoorAdapter } from './wires/registry';
import type { LearnedWires } from './wires/learned';
import { BUILDER_PARAMS, type EncodeContext, type Wire } from './wires/types';
import { providerFor } from './config/providers';

/** What the proxy needs from its host (the Gateway). */
export interface ProxyDeps {
  /** The current runtime (read once per request). */
  runtime(): Runtime;
  /** The alias the virtual alias `default` routes to (may change between requests). */
  defaultModel(): string | undefined;
  /** The shared upstream pool (keep-alive, proxy env support); see `createDispatcher`. */
  dispatcher: Dispatcher;
  /** Resolves provider keys by env var name (VS Code: SecretStorage, then the environment). */
  secrets: SecretResolver;
  /** Phrases "how to set this key" in missing-key errors. */
  keyHint: KeyHint;
  /** Receives one record per request and the proxy's warnings. */
  logger: Logger;
  /** Wires learned at run time per deployment (a `responses` upstream that answered 404 becomes `chat`); owned by the Gateway. */
  learnedWire: LearnedWires;
  /** Called when a stream starts/ends, for graceful shutdown accounting. */
  track(delta: 1 | -1): void;
  /** The upstream accounts a provider spec may name (`ProviderSpec.credentials`, see accounts.ts); owned by the Gateway. */
  accounts: UpstreamAccounts;
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

/** Strict UTF-8 decoder for request bodies: throws on invalid byte sequences; a BOM is kept (JSON.parse refuses it). */
const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reads a JSON request body with a byte limit.
 *
 * The body must be UTF-8 (RFC 8259 section 8.1): invalid byte sequences are refused instead of being replaced by
 * U+FFFD behind the client's back (strict decoding costs the same as Buffer#toString: about 1.6 ms per MB
 * on Node 20). The nesting depth is not limited here (`JSON.parse` has no recursion limit); see
 * `checkRequestBody`. Past the limit the rest of the body is read and discarded, so the 413 reaches the
 * client instead of a connection reset.
 * @throws GatewayError 413 when the body is larger than `limit` bytes; 400 `invalid_json` when it is not
 *   UTF-8, not JSON, or not a JSON object; 400 `incomplete_body` when the body ends early (the connection
 *   closed, or broken chunked framing).
 */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (c: Buffer) => {
      n += c.length;
      if (n <= limit) return void chunks.push(c);
      stop();
      req.resume(); // discard the rest
      reject(tooLarge(limit));
    };
    const onEnd = () => {
      stop();
      try {
        resolve(parseJsonObject(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
      } catch (e) {
        reject(e);
      }
    };
    const cutOff = (why: string) => {
      stop();
      reject(
        new GatewayError(
          400,
          `The request body ended before it was complete (${why}): check the Content-Length or chunked framing, and send the whole body again.`,
          'invalid_request_error',
          'incomplete_body',
        ),
      );
    };
    const onError = (e: Error) => cutOff(e?.message || 'read error');
    const onClose = () => cutOff('the connection closed');
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('close', onClose);
  });
}

/** Decodes (strict UTF-8) and parses a body; see {@link readJsonBody} for the errors. */
function parseJsonObject(buf: Buffer): Record<string, unknown> {
  let text: string;
  try {
    text = UTF8_STRICT.decode(buf);
  } catch {
    throw new GatewayError(400, 'The request body is not valid UTF-8: send JSON encoded as UTF-8 (RFC 8259).', 'invalid_request_error', 'invalid_json');
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new GatewayError(400, `The request body is not valid JSON (${(e as Error).message}).`, 'invalid_request_error', 'invalid_json');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    throw new GatewayError(400, 'The request body must be a JSON object.', 'invalid_request_error', 'invalid_json');
  }
  return v as Record<string, unknown>;
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError(
    413,
    `The request body is larger than the gateway's limit of ${limit} bytes; raise gateway_settings.max_body_bytes if this is expected.`,
    'invalid_request_error',
    'request_too_large',
  );
}

/**
 * Writes an error (if nothing was sent yet) in the door's shape: OpenAI's `{"error": {...}}` by default,
 * Anthropic's `{"type": "error", ...}` on the Messages door (see {@link DoorAdapter.error}).
 */
export function sendError(res: ServerResponse, err: GatewayError, door?: Pick<DoorAdapter, 'error'>): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const shaped = door ? door.error(err) : { status: err.status, body: err.toBody() };
  const body = JSON.stringify(shaped.body);
  res.writeHead(shaped.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...err.headers });
  res.end(body);
}

/**
 * Time allowed until the upstream's response headers arrive, in ms: `stream_timeout` for streamed
 * requests when set (LiteLLM's meaning: time to the first chunk), else `timeout`.
 */
function headersTimeout(d: Deployment, stream: boolean): number {
  return stream && d.streamTimeoutMs !== undefined ? d.streamTimeoutMs : d.timeoutMs;
}

/** `timeout 3 s` / `stream_timeout 500 ms`: the limit that bounds the part of an attempt before the first event. */
function limitLabel(d: Deployment, stream: boolean): string {
  const ms = headersTimeout(d, stream);
  return `${stream && d.streamTimeoutMs !== undefined ? 'stream_timeout' : 'timeout'} ${fmtMs(ms)}`;
}

/** The client's body over the deployment's defaults (`litellm_params` extras, computed at config load). */
function withDefaults(facts: DeploymentFacts, body: Record<string, unknown>): Record<string, unknown> {
  // Spread, not Object.assign: a client's own `__proto__` key must stay a plain key, never set the prototype.
  return { ...facts.bodyDefaults, ...body };
}

function aliasOf(body: Record<string, unknown>): string {
  const m = body.model;
  if (typeof m !== 'string' || !m) {
    throw new GatewayError(400, 'The request has no "model": set it to one of the gateway aliases (GET /v1/models lists them).', 'invalid_request_error', 'missing_model', 'model');
  }
  return m;
}

/** Token counts read from an upstream answer, for the request log. */
type Usage = { input?: number; output?: number };

/**
 * An upstream answer that passed its first check inside the router attempt, before anything was sent to
 * the client: a non-streamed answer read whole and judged (its text with the key removed, and the parsed
 * object), or a streamed one whose first complete event arrived and was valid.
 */
interface Answer {
  /** The wire the deployment answered on. */
  wire: Wire;
  /** The hub request when the answer is translated (the deployment's wire is not the door's). */
  hub?: HubRequest;
  /** Non-streamed: the judged JSON. */
  whole?: { text: string; value: Record<string, unknown> };
  /** Non-streamed and translated: the answer as hub events (decoded inside the attempt, so a failed answer is retried). */
  events?: HubEvent[];
  /** Streamed: the reader, holding the first event. */
  reader?: SseReader;
  /** The provider key used, or every secret an account posted with (removed from every relayed text). */
  key: Secrets;
}

/**
 * Receives an upstream answer under the contract (docs/reliability.md), inside the router attempt so any
 * failure is retried or falls back: non-streamed, the whole body before `timeout` (counted from the
 * attempt's start) and judged; streamed, the first complete event before `stream_timeout` (else
 * `timeout`), judged, then the idle limit for the rest.
 * @throws UpstreamError `timeout`, `bad_response`, or the kind of an upstream error object.
 */
async function receive(
  rt: Runtime,
  d: Deployment,
  wire: Wire,
  res: UpstreamResponse,
  stream: boolean,
  t0: number,
  key: Secrets,
  signal: AbortSignal,
): Promise<{ whole?: Answer['whole']; reader?: SseReader }> {
  const contentType = String(res.headers['content-type'] ?? '');
  const deadline = t0 + headersTimeout(d, stream);
  // A streamed request answered as JSON (an error object) or HTML (a proxy's error page) is read whole;
  // any other content type is read as SSE, which judges it event by event.
  if (!stream || (/json|html/i.test(contentType) && !/event-stream/i.test(contentType))) {
    const buf = await readWhole(res.body, deadline, limitLabel(d, stream), signal);
    const text = withoutKey(buf.toString('utf8'), key);
    const value = judgeJson(wire, text, contentType, key);
    if (stream) throw new UpstreamError('bad_response', `the upstream answered a streamed request with ${contentType || 'no content type'} instead of an event stream`);
    return { whole: { text, value } };
  }
  const reader = new SseReader(wire, res.body, key, { firstEventDeadline: deadline, firstEventLabel: limitLabel(d, true), idleMs: rt.config.server.streamIdleTimeoutMs }, signal);
  try {
    await reader.first();
  } catch (e) {
    reader.cancel();
    throw e;
  }
  return { reader };
}

/**
 * The message of an in-stream error after the first byte: what happened and what to do next.
 * @param responses true on the Responses route, where Codex retries a `response.failed` with code
 *   `server_error` by itself (codex-wire.md, "Errors as Codex handles them").
 */
function brokenStreamMessage(routed: RouteResult<Answer>, e: unknown, responses: boolean): string {
  const what = e instanceof UpstreamError ? e.message : `the upstream stream broke (${scrubUpstreamText(String((e as Error)?.message ?? e), routed.value.key)})`;
  const t = `${routed.deployment.provider} failed mid-answer for model '${routed.alias}' (${routed.deployment.id}): ${what.trim()}`;
  const again = responses ? 'Send the request again (Codex does so by itself)' : 'Send the request again';
  return `${/[.!?]$/.test(t) ? t : `${t}.`} ${again}; if it keeps failing, check the provider's status or add a fallback for '${routed.alias}' in config.yaml.`;
}

/** Per-request bookkeeping shared by both routes. */
class RequestScope {
  readonly t0 = performance.now();
  readonly abort = new AbortController();
  ttfb?: number;
  /** When the last bytes were written to the client (`performance.now()` ms), for keep-alives. */
  lastWrite = 0;
  constructor(
    readonly deps: ProxyDeps,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly route: string,
  ) {
    // A client that goes away aborts the upstream request at once (and any retry sleep).
    res.once('close', () => {
      if (!res.writableFinished) this.abort.abort(new Error('client disconnected'));
    });
  }
  firstByte(): void {
    if (this.ttfb === undefined) this.ttfb = performance.now() - this.t0;
  }
  /** Completes the record (route, latency, time to first byte) and logs it; the object is reused, not copied. */
  log(r: Omit<RequestLogRecord, 'route' | 'latencyMs' | 'ttfbMs'>): void {
    const rec = r as RequestLogRecord;
    rec.route = this.route;
    rec.latencyMs = performance.now() - this.t0;
    rec.ttfbMs = this.ttfb;
    this.deps.logger.request(rec);
  }
}

/**
 * The flow both proxy routes share: read and check the body, resolve the alias, route (retries, cooldowns
 * and fallbacks happen before the first byte, and an attempt only succeeds once its answer passed its
 * first check, see {@link receive}), then let `respond` send the answer; release the router's slot and
 * write the one log line. Never throws: errors before the first byte are written in the door's error
 * shape ({@link sendError}); after it, {@link respond} ends the stream with the door's terminal error
 * event and throws.
 * @param door the client's wire (parses the request, encodes the answer).
 */
async function proxy(deps: ProxyDeps, req: IncomingMessage, res: ServerResponse, route: CheckedRoute, door: DoorAdapter): Promise<void> {
  const scope = new RequestScope(deps, req, res, route);
  const rt = deps.runtime();
  let alias = '?';
  let stream = false;
  let routed: RouteResult<Answer>;
  let body: Record<string, unknown>;
  try {
    body = await readJsonBody(req, rt.config.server.maxBodyBytes);
    checkRequestBody(route, body);
    alias = rt.resolveAlias(aliasOf(body), deps.defaultModel());
    stream = body.stream === true;
    const cache: HubCache = {};
    const forward = door.forwardHeaders?.(req.headers) ?? {};
    routed = await rt.router.run(alias, (d) => attempt(deps, rt, d, door, body, stream, scope.abort.signal, cache, forward), { signal: scope.abort.signal });
  } catch (e) {
    const err = toGatewayError(e, scope);
    if (!err) return logAbort(scope, alias, stream);
    sendError(res, err, door);
    scope.log({ alias, status: res.statusCode, retries: 0, stream, error: err.message });
    return;
  }
  const meta: Record<string, string> = {
    'x-codex-gateway-deployment': routed.deployment.id,
    'x-codex-gateway-retries': String(routed.retries),
  };
  if (routed.fallbackFrom) meta['x-codex-gateway-fallback-from'] = routed.fallbackFrom;
  deps.track(1);
  let usage: Usage = {};
  let failure: UpstreamError | undefined;
  let error: string | undefined;
  try {
    usage = await respond(scope, door, routed, body, stream, meta);
  } catch (e) {
    if (e instanceof UpstreamError) failure = e;
    error = scrubUpstreamText(String((e as Error)?.message ?? e), routed.value.key);
    if (!res.headersSent && !scope.abort.signal.aborted) {
      // Nothing was sent yet (a failure while encoding a whole answer): still an error in the door's shape.
      const err = toGatewayError(e, scope);
      if (err) sendError(res, err, door);
    }
    if (!res.writableEnded) res.end();
  } finally {
    routed.value.reader?.cancel();
    deps.track(-1);
    routed.release(scope.abort.signal.aborted ? { ok: false } : failure ? { ok: false, error: failure } : { ok: error === undefined });
  }
  scope.log({
    alias: routed.alias,
    deployment: routed.deployment.id,
    wire: routed.value.wire,
    status: res.statusCode,
    inputTokens: usage.input,
    outputTokens: usage.output,
    retries: routed.retries,
    fallbackFrom: routed.fallbackFrom,
    stream,
    error: scope.abort.signal.aborted ? 'client disconnected' : error,
  });
}

/** Route handler for `POST /v1/responses` (streamed and not). Never throws; errors are written. */
export function handleResponses(deps: ProxyDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return proxy(deps, req, res, '/v1/responses', DOORS.responses);
}

/**
 * Route handler for `POST /v1/chat/completions` (streamed and not). Never throws; errors are written
 * (OpenAI error shape before the first byte, an SSE `error` frame after).
 */
export function handleChat(deps: ProxyDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return proxy(deps, req, res, '/v1/chat/completions', DOORS.chat);
}

/**
 * Route handler for `POST /v1/messages` (Anthropic Messages; Claude Code calls it with `?beta=true`).
 * Never throws; errors are written in Anthropic's shape (an `event: error` after the first byte).
 */
export function handleMessages(deps: ProxyDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return proxy(deps, req, res, '/v1/messages', DOORS.messages);
}

/**
 * Route handler for `POST /v1/messages/count_tokens`: `{"input_tokens": N}`, estimated locally
 * (`estimateInputTokens`: about 4 characters a token, tools and images included) whatever the alias's
 * upstream, so it costs no upstream call. Claude Code uses it for its context meter and works without it.
 */
export async function handleCountTokens(deps: ProxyDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const rt = deps.runtime();
  try {
    const body = await readJsonBody(req, rt.config.server.maxBodyBytes);
    checkRequestBody('/v1/messages', { ...body, messages: body.messages ?? [] });
    const out = JSON.stringify({ input_tokens: estimateInputTokens(body) });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  } catch (e) {
    sendError(res, e instanceof GatewayError ? e : new GatewayError(400, `The request could not be read: ${(e as Error)?.message ?? e}`), DOORS.messages);
  }
}

/** The hub request of one client request, parsed at most once over all attempts. */
interface HubCache {
  hub?: HubRequest;
}

/**
 * One attempt against one deployment: relays the client's body to a deployment on the door's own wire,
 * or translates it through the hub for any other wire. Resolves once the answer passed its first check
 * ({@link receive}). A `responses` upstream that answers 404 (no `/responses` route) is retried at once as
 * `chat`, and that is remembered for the deployment, unless the user set `wire_api` explicitly.
 * @throws UpstreamError for every upstream failure (the router classifies them); GatewayError 400 for a
 *   request the deployment cannot take.
 */
async function attempt(
  deps: ProxyDeps,
  rt: Runtime,
  d: Deployment,
  door: DoorAdapter,
  body: Record<string, unknown>,
  stream: boolean,
  signal: AbortSignal,
  cache: HubCache,
  forward: Record<string, string>,
): Promise<Answer> {
  const t0 = Date.now();
  const facts = rt.factsOf(d);
  // The wire the deployment speaks now: its own, or `chat` once a `/responses` 404 taught us.
  let wire: Wire = deps.learnedWire.wireOf(d);
  // A provider that names an account (accounts.ts) uses it instead of a key: it shapes the body, makes the
  // call, and may serve streams only (then a non-streamed client gets the stream collected).
  const kind = providerFor(d.provider)?.credentials;
  const call = kind ? await deps.accounts[kind].open(d, rt.config) : undefined;
  const key = call ? call.key : resolveKey(d, deps.secrets, deps.keyHint, facts.keyRequired);
  deps.logger.addSecret(key);
  // What relayed text is scrubbed of: the key, or every secret the account's calls posted with (the array
  // grows in place when a retry uses fresher credentials, so it is read after `send`).
  const scrub: Secrets = call ? call.secrets : key;
  const upStream = call?.collect ? true : stream;
  const opts = {
    model: d.model,
    provider: d.provider,
    dropParams: rt.config.dropParams,
    dropParamNames: facts.dropParamNames,
    maxTokens: d.maxTokens,
    extraBody: facts.bodyDefaults,
    stream: upStream,
  };
  if (wire === door.wire) {
    const up = withDefaults(facts, body);
    up.model = d.model;
    for (const k of BUILDER_PARAMS) delete up[k];
    let relayed = UPSTREAMS[wire].relayBody(up, { ...opts, alias: d.alias, providerName: facts.providerName });
    const notes = call ? new Set<string>() : undefined;
    if (call) relayed = call.shapeBody(relayed, notes!);
    let res: UpstreamResponse | undefined;
    try {
      res = await send(deps, d, wire, relayed, upStream, signal, key, forward, call);
    } catch (e) {
      // A deployment with an account speaks its provider's wire only: no `/responses` probe.
      if (!(e instanceof UpstreamError) || e.kind !== 'not_found' || wire !== 'responses' || d.wireExplicit || call) throw e;
      deps.learnedWire.learn(d, 'chat');
      deps.logger.warn(`deployment ${d.id} (${d.provider}) has no /responses endpoint (HTTP 404): using Chat Completions for it from now on; set wire_api: chat in its litellm_params to skip this probe`);
      wire = 'chat';
    }
    if (res) {
      if (notes?.size && deps.logger.enabled('debug')) deps.logger.debug(`alias ${d.alias}: for ${d.provider}: ${[...notes].join(', ')}`);
      const got = await receive(rt, d, wire, res, upStream, t0, scrub, signal);
      // Streamed only because the account serves streams only: collect it for the non-streamed client.
      if (upStream !== stream) return { wire, key: scrub, whole: await collectWhole(call!, got.reader!, scrub, d, t0) };
      return { wire, key: scrub, ...got };
    }
  }
  const hub = (cache.hub ??= door.parse(body));
  const adapter = UPSTREAMS[wire];
  const built = adapter.build(hub, opts);
  if (call) {
    const notes = new Set<string>();
    built.body = call.shapeBody(built.body, notes);
    for (const x of notes) built.dropped.push(x);
  }
  if (built.dropped.length && deps.logger.enabled('debug')) deps.logger.debug(`alias ${d.alias}: dropped for ${d.provider}: ${built.dropped.join(', ')}`);
  const res = await send(deps, d, wire, built.body, upStream, signal, key, {}, call);
  const got = await receive(rt, d, wire, res, upStream, t0, scrub, signal);
  if (upStream !== stream) {
    const whole = await collectWhole(call!, got.reader!, scrub, d, t0);
    return { wire, hub, key: scrub, whole, events: adapter.events(whole.value) };
  }
  if (got.whole) return { wire, hub, key: scrub, ...got, events: adapter.events(got.whole.value) };
  const failure = adapter.firstEventsFailure?.(got.reader!.firstEvents, scrub);
  if (failure) {
    got.reader!.cancel();
    throw failure;
  }
  return { wire, hub, key: scrub, ...got };
}

/** Body fields that carry a reasoning effort, per wire (what a model without reasoning may reject). */
const EFFORT_FIELDS: Readonly<Record<Wire, readonly string[]>> = { chat: ['reasoning_effort'], responses: ['reasoning'], messages: [] };

/**
 * Sends one upstream request (`forward`: client headers relayed as is, e.g. `anthropic-beta` on a
 * Messages relay). A deployment that rejects the reasoning-effort field (HTTP 400 naming
 * "reasoning": a model without reasoning, after Codex sent `reasoning_effort: "none"` from its /model
 * picker) is sent the same request again at once without it, and that is remembered for the deployment
 * (issue: a field the user never chose must not fail the turn). With an account (`call`), the account
 * makes each call ({@link AccountCall.send}) with its own headers; `forward` is not used.
 * @throws UpstreamError as {@link postJson}, or as the account's `send`.
 */
async function send(
  deps: ProxyDeps,
  d: Deployment,
  wire: Wire,
  body: Record<string, unknown>,
  stream: boolean,
  signal: AbortSignal,
  key: string | undefined,
  forward: Record<string, string> = {},
  call?: AccountCall,
): Promise<UpstreamResponse> {
  const fields = EFFORT_FIELDS[wire].filter((f) => body[f] !== undefined);
  let post: () => Promise<UpstreamResponse>;
  if (call) post = () => postAccount(deps, d, wire, body, signal, headersTimeout(d, stream), call);
  else {
    const headers = { ...upstreamHeaders(d, key, stream ? 'text/event-stream' : 'application/json', wire), ...forward };
    post = () => postJson(deps.dispatcher, targetFor(d)[wire], headers, JSON.stringify(body), signal, headersTimeout(d, stream), key, 0);
  }
  if (fields.length && deps.learnedWire.rejectsEffort(d)) for (const f of fields) delete body[f];
  else if (fields.length) {
    try {
      return await post();
    } catch (e) {
      if (!(e instanceof UpstreamError) || e.kind !== 'bad_request' || !/reasoning/i.test(e.message)) throw e;
      deps.learnedWire.learnRejectsEffort(d);
      deps.logger.warn(`deployment ${d.id} (${d.provider}) rejected the reasoning effort (${e.message.slice(0, 200)}): sending it without ${fields.join(', ')} from now on`);
      for (const f of fields) delete body[f];
    }
  }
  return post();
}

/**
 * One upstream request through an account ({@link AccountCall.send}): the body is serialised once, and
 * every secret the account posts with is registered with the logger before it is sent.
 * @throws UpstreamError as {@link postJson}, or as the account's `send`.
 */
function postAccount(deps: ProxyDeps, d: Deployment, wire: Wire, body: Record<string, unknown>, signal: AbortSignal, headersTimeoutMs: number, call: AccountCall): Promise<UpstreamResponse> {
  const text = JSON.stringify(body);
  return call.send((headers, secret) => {
    deps.logger.addSecret(secret);
    return postJson(deps.dispatcher, targetFor(d)[wire], headers, text, signal, headersTimeoutMs, secret, 0);
  });
}

/**
 * A stream collected whole by the account ({@link AccountCall.collect}) for a non-streamed client, judged
 * like a whole answer: a failed response throws; like any non-streamed attempt, the whole answer must arrive
 * within the deployment's `timeout` from the attempt's start `t0` (epoch ms). The reader is always cancelled.
 */
async function collectWhole(call: AccountCall, reader: SseReader, key: Secrets, d: Deployment, t0: number): Promise<{ text: string; value: Record<string, unknown> }> {
  try {
    const value = await call.collect!(reader, key, { deadline: t0 + d.timeoutMs, label: limitLabel(d, false) });
    return { text: withoutKey(JSON.stringify(value), key), value };
  } finally {
    reader.cancel();
  }
}

/**
 * Sends a whole JSON answer in one write with its `content-length` (a JSON answer is only useful once
 * complete; chunked encoding would cost a second write for its terminator).
 */
function sendJson(scope: RequestScope, text: string, meta: Record<string, string>): void {
  scope.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...meta });
  scope.firstByte();
  scope.res.end(text);
}

/** Writes bytes (whole SSE events) with backpressure, noting the time for keep-alives. */
async function write(scope: RequestScope, chunk: string | Buffer): Promise<void> {
  const res = scope.res;
  scope.lastWrite = performance.now();
  if (!res.write(chunk)) {
    await new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        res.off('close', onClose);
        resolve();
      };
      const onClose = () => {
        res.off('drain', onDrain);
        reject(new Error('client disconnected'));
      };
      res.once('drain', onDrain);
      res.once('close', onClose);
    });
  }
}

/**
 * Sends the answer of a successful attempt: relayed when the deployment speaks the door's wire (a whole
 * SSE frame at a time, watched by the door's relay observer), else decoded into hub events and encoded by
 * the door. A stream that breaks, stalls, sends a malformed or error event, or ends before its terminal
 * marker is ended with the door's terminal error on a fresh frame (Responses: `response.failed` with code
 * `server_error`, which Codex retries; Chat: a `data: {"error": ...}` frame), and the failure is thrown for
 * the log line and the deployment's cooldown.
 */
async function respond(scope: RequestScope, door: DoorAdapter, routed: RouteResult<Answer>, body: Record<string, unknown>, stream: boolean, meta: Record<string, string>): Promise<Usage> {
  const answer = routed.value;
  const relay = answer.wire === door.wire;
  if (!stream) {
    if (relay) {
      const obs = door.relay(() => encodeContext(door, routed, body));
      obs.see(answer.whole!.value, undefined);
      sendJson(scope, answer.whole!.text, meta);
      return obs.usage;
    }
    sendJson(scope, JSON.stringify(door.fold(answer.events!, encodeContext(door, routed, body))), meta);
    let usage: Usage = {};
    for (const ev of answer.events!) if (ev.type === 'usage') usage = { input: ev.usage.input, output: ev.usage.output };
    return usage;
  }
  const res = scope.res;
  const reader = answer.reader!;
  res.writeHead(200, { ...SSE_HEADERS, ...meta });
  const keepAlive = door.keepAlive ? keepAliveTimer(scope, door.keepAlive) : undefined;
  try {
    return await (relay ? relayStream(scope, door, routed, body, reader) : translateStream(scope, door, routed, body, reader));
  } finally {
    if (keepAlive) clearInterval(keepAlive);
  }
}

/**
 * Writes the door's keep-alive frame (Anthropic's `ping`) whenever nothing was written for `everyMs`, so a
 * client with an idle watchdog (Claude Code: 300 s) sees the stream alive during a long upstream silence.
 * Every other write is a whole SSE event ({@link write}), so a ping never lands inside another event.
 */
function keepAliveTimer(scope: RequestScope, k: { frame: string; everyMs: number }): NodeJS.Timeout {
  const res = scope.res;
  const t = setInterval(() => {
    if (res.writableEnded || res.destroyed) return;
    if (performance.now() - scope.lastWrite >= k.everyMs) {
      scope.lastWrite = performance.now();
      res.write(k.frame);
    }
  }, Math.max(50, Math.floor(k.everyMs / 3)));
  t.unref();
  return t;
}

/** Relays a same-wire stream a whole SSE frame at a time (see {@link respond}). */
async function relayStream(scope: RequestScope, door: DoorAdapter, routed: RouteResult<Answer>, body: Record<string, unknown>, reader: SseReader): Promise<Usage> {
  const res = scope.res;
  const obs = door.relay(() => encodeContext(door, routed, body));
  scope.firstByte();
  try {
    for await (const b of reader.batches()) {
      for (const ev of b.events) if (ev.json) obs.see(ev.json, ev.event);
      await write(scope, b.text);
    }
  } catch (e) {
    if (scope.abort.signal.aborted) throw e;
    res.end(obs.fail(e instanceof UpstreamError ? e : undefined, brokenStreamMessage(routed, e, door.wire === 'responses')));
    throw e;
  }
  res.end();
  return obs.usage;
}

/** Decodes an upstream stream into hub events and encodes them for the door (see {@link respond}). */
async function translateStream(scope: RequestScope, door: DoorAdapter, routed: RouteResult<Answer>, body: Record<string, unknown>, reader: SseReader): Promise<Usage> {
  const res = scope.res;
  const answer = routed.value;
  const enc = door.encoder(encodeContext(door, routed, body));
  const dec = UPSTREAMS[answer.wire]!.decoder();
  let out = enc.start();
  try {
    for await (const b of reader.batches()) {
      for (const ev of b.events) {
        if (ev.json) for (const h of dec.push(ev.json, ev.event)) out += enc.push(h);
      }
      if (out) {
        const o = out;
        out = '';
        await write(scope, o);
        scope.firstByte();
      }
    }
  } catch (e) {
    if (scope.abort.signal.aborted) throw e;
    res.end(out + enc.fail(e instanceof UpstreamError ? e : undefined, brokenStreamMessage(routed, e, door.wire === 'responses')));
    throw e;
  }
  res.end(out + enc.end());
  return enc.usage;
}

/** What a door's encoder needs: a fresh id, the alias served, the time, the tool map and the request. */
function encodeContext(door: DoorAdapter, routed: RouteResult<Answer>, body: Record<string, unknown>): EncodeContext {
  return { id: door.newId(), alias: routed.alias, createdAt: Math.floor(Date.now() / 1000), tools: routed.value.hub?.toolMap ?? EMPTY_TOOL_NAME_MAP, request: body };
}

/** Converts a thrown error into what the client gets; null when the client is gone (abort). */
function toGatewayError(e: unknown, scope: RequestScope): GatewayError | null {
  if (scope.abort.signal.aborted) return null;
  if (e instanceof GatewayError) return e;
  if (e instanceof UpstreamError) return new GatewayError(502, e.message, 'upstream_error', e.upstreamCode ?? null);
  scope.deps.logger.error(`internal error on ${scope.route}: ${(e as Error)?.stack ?? String(e)}`);
  return new GatewayError(500, `Codex Gateway hit an internal error (${(e as Error)?.message ?? 'unknown'}); see the gateway log.`, 'server_error', 'internal_error');
}

function logAbort(scope: RequestScope, alias: string, stream: boolean): void {
  if (!scope.res.writableEnded) scope.res.destroy();
  scope.log({ alias, status: 499, retries: 0, stream, error: 'client disconnected' });
}
