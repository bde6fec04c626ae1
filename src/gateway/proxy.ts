/**
 * The two proxy paths: `POST /v1/responses` (Codex) and `POST /v1/chat/completions` (every other OpenAI
 * client). Each request is routed by alias through the router (retries, cooldowns, fallbacks happen before
 * the first byte is sent), then the upstream answer is streamed to the client as it arrives: passed through
 * for a same-protocol upstream, translated event by event otherwise.
 *
 * Responses are written straight to Node's `ServerResponse` (no web-stream conversion on the hot path).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { GatewayError, UpstreamError } from './errors';
import type { Logger, RequestLogRecord } from './log';
import type { RouteResult } from './router';
import { redactSecrets } from './router/redact';
import { checkRequestBody, type CheckedRoute } from './request-check';
import type { DeploymentFacts, Runtime } from './runtime';
import type { Deployment, SecretResolver, WireApi } from './types';
import { postJson, resolveKey, targetFor, upstreamHeaders, type KeyHint, type UpstreamResponse } from './upstream';
import {
  ChatToResponsesStream,
  chatToResponsesResponse,
  encodeSse,
  newResponseId,
  responsesToChatRequest,
  stripForeignReasoning,
  type ChatRequestPlan,
  type ResponseContext,
} from './translate';

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
  /** Deployment id -> wire learned at run time (a `responses` upstream that answered 404 becomes `chat`). */
  learnedWire: Map<string, WireApi>;
  /** Called when a stream starts/ends, for graceful shutdown accounting. */
  track(delta: 1 | -1): void;
}

/** A successful upstream start, before anything was sent to the client. */
type Started =
  | { wire: 'responses'; res: UpstreamResponse }
  | { wire: 'chat'; res: UpstreamResponse; plan?: ChatRequestPlan };

/**
 * The message of an in-stream error after the first byte: what happened (`what`) and what to do next.
 * @param responses true on the Responses route, where Codex retries a `response.failed` with code
 *   `server_error` by itself (codex-wire.md, "Errors as Codex handles them").
 */
function brokenStreamMessage(what: string, responses = true): string {
  const t = what.trim();
  const again = responses ? 'Send the request again (Codex does so by itself)' : 'Send the request again';
  return `${/[.!?]$/.test(t) ? t : `${t}.`} ${again}; if it keeps failing, check the provider's status or add a fallback for this alias.`;
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

/**
 * Reads a JSON request body with a byte limit.
 * @throws GatewayError 413 when the body is larger than `limit` bytes; 400 when it is not a JSON object.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > limit) throw tooLarge(limit);
    chunks.push(c as Buffer);
  }
  let v: unknown;
  try {
    v = JSON.parse(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8'));
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

/** Writes an error in the OpenAI shape (if nothing was sent yet). */
export function sendError(res: ServerResponse, err: GatewayError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify(err.toBody());
  res.writeHead(err.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...err.headers });
  res.end(body);
}

/**
 * Time allowed until the upstream's response headers arrive, in ms: `stream_timeout` for streamed
 * requests when set (LiteLLM's meaning: time to the first chunk), else `timeout`.
 */
function headersTimeout(d: Deployment, stream: boolean): number {
  return stream && d.streamTimeoutMs !== undefined ? d.streamTimeoutMs : d.timeoutMs;
}

/** The client's body over the deployment's defaults (`litellm_params` extras, computed at config load). */
function withDefaults(facts: DeploymentFacts, body: Record<string, unknown>): Record<string, unknown> {
  return Object.assign({}, facts.bodyDefaults, body);
}

function aliasOf(body: Record<string, unknown>): string {
  const m = body.model;
  if (typeof m !== 'string' || !m) {
    throw new GatewayError(400, 'The request has no "model": set it to one of the gateway aliases (GET /v1/models lists them).', 'invalid_request_error', 'missing_model', 'model');
  }
  return m;
}

function headerNumber(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

/** Where the usage object sits in an answer, and its token field names. */
const RESPONSES_USAGE = { path: ['usage'], input: 'input_tokens', output: 'output_tokens' } as const;
const RESPONSES_EVENT_USAGE = { path: ['response', 'usage'], input: 'input_tokens', output: 'output_tokens' } as const;
const CHAT_USAGE = { path: ['usage'], input: 'prompt_tokens', output: 'completion_tokens' } as const;

/**
 * Reads token counts from a JSON text into `into` (for the log line); leaves `into` alone when the text is
 * not JSON or has no usage. `shape` names where the usage object is and its fields (Responses:
 * input_tokens/output_tokens; Chat Completions: prompt_tokens/completion_tokens).
 */
function readUsage(json: string, shape: { path: readonly string[]; input: string; output: string }, into: Usage): void {
  let u: any;
  try {
    u = JSON.parse(json);
  } catch {
    return;
  }
  for (const k of shape.path) u = u?.[k];
  if (!u || typeof u !== 'object') return;
  into.input = headerNumber(u[shape.input]);
  into.output = headerNumber(u[shape.output]);
}

/**
 * Copies a streamed upstream body to the client chunk by chunk (with backpressure), showing each chunk's
 * text to `tap` first (usage and end-of-stream detection).
 */
async function pipeTapped(up: UpstreamResponse, res: ServerResponse, tap: (text: string) => void): Promise<void> {
  for await (const c of up.body) {
    tap((c as Buffer).toString('utf8'));
    await write(res, c as Buffer);
  }
}

/** Per-request bookkeeping shared by both routes. */
class RequestScope {
  readonly t0 = performance.now();
  readonly abort = new AbortController();
  ttfb?: number;
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

/** Token counts read from an upstream answer, for the request log. */
type Usage = { input?: number; output?: number };

/**
 * The flow both proxy routes share: read the body, resolve the alias, route (retries, cooldowns and
 * fallbacks happen before the first byte), then let `respond` stream the answer; release the router's
 * slot and write the one log line. Never throws: errors before the first byte are written in the OpenAI
 * error shape; after it, `respond` ends the stream in the protocol's own way.
 * @param start one upstream attempt against one deployment (see startResponses / startChat).
 * @param wireOf the upstream wire a started attempt uses (for the log line, also when the client leaves).
 * @param respond writes the answer; returns the usage.
 */
async function proxy<T>(
  deps: ProxyDeps,
  req: IncomingMessage,
  res: ServerResponse,
  route: string,
  start: (rt: Runtime, d: Deployment, body: Record<string, unknown>, stream: boolean, signal: AbortSignal) => Promise<T>,
  wireOf: (started: T) => WireApi,
  respond: (scope: RequestScope, routed: RouteResult<T>, body: Record<string, unknown>, stream: boolean, meta: Record<string, string>) => Promise<Usage>,
): Promise<void> {
  const scope = new RequestScope(deps, req, res, route);
  const rt = deps.runtime();
  let alias = '?';
  let stream = false;
  let routed: RouteResult<T>;
  let body: Record<string, unknown>;
  try {
    body = await readJsonBody(req, rt.config.server.maxBodyBytes);
    checkRequestBody(route as CheckedRoute, body);
    alias = rt.resolveAlias(aliasOf(body), deps.defaultModel());
    stream = body.stream === true;
    routed = await rt.router.run(alias, (d) => start(rt, d, body, stream, scope.abort.signal), { signal: scope.abort.signal });
  } catch (e) {
    const err = toGatewayError(e, scope);
    if (!err) return logAbort(scope, alias, stream);
    sendError(res, err);
    scope.log({ alias, status: err.status, retries: 0, stream, error: err.message });
    return;
  }
  const meta: Record<string, string> = {
    'x-codex-gateway-deployment': routed.deployment.id,
    'x-codex-gateway-retries': String(routed.retries),
  };
  if (routed.fallbackFrom) meta['x-codex-gateway-fallback-from'] = routed.fallbackFrom;
  deps.track(1);
  let usage: Usage = {};
  let ok = true;
  let error: string | undefined;
  try {
    usage = await respond(scope, routed, body, stream, meta);
  } catch (e) {
    ok = scope.abort.signal.aborted;
    error = (e as Error).message;
    if (!res.writableEnded) res.end();
  } finally {
    deps.track(-1);
    routed.release({ ok });
  }
  scope.log({
    alias: routed.alias,
    deployment: routed.deployment.id,
    wire: wireOf(routed.value),
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
  return proxy<Started>(
    deps,
    req,
    res,
    '/v1/responses',
    (rt, d, body, stream, signal) => startResponses(deps, rt, d, body, stream, signal),
    (started) => started.wire,
    async (scope, routed, body, stream, meta) => {
      const started = routed.value;
      if (started.wire === 'responses') return relayResponses(scope, started.res, stream, meta);
      const ctx: ResponseContext = {
        responseId: newResponseId(),
        alias: routed.alias,
        createdAt: Math.floor(Date.now() / 1000),
        tools: started.plan!.tools,
        request: body as never,
      };
      return stream ? streamChatAsResponses(scope, started.res, ctx, meta) : chatJsonAsResponses(scope, started.res, ctx, meta);
    },
  );
}

/**
 * The upstream wire a deployment speaks now (its own, or `chat` once a `/responses` 404 taught us).
 * @throws UpstreamError `not_implemented` for the `messages` wire (Anthropic), whose adapter is not built
 *   yet; the message names the alias and what to do.
 */
function wireOrRefuse(deps: ProxyDeps, d: Deployment, facts: DeploymentFacts): 'responses' | 'chat' {
  const wire = deps.learnedWire.get(d.id) ?? d.wire;
  if (wire === 'messages') {
    throw new UpstreamError(
      'not_implemented',
      `alias "${d.alias}" points at ${facts.providerName} (Anthropic Messages API), which this version of Codex Gateway cannot call yet; route the alias to another provider or add a fallback`,
    );
  }
  return wire;
}

/**
 * One attempt of a Responses request against one deployment: passes the request through to a
 * `responses` upstream, or translates it for a `chat` one. Resolves once upstream headers arrived.
 * A `responses` upstream that answers 404 (no `/responses` route) is retried at once as `chat`, and that
 * is remembered for the deployment, unless the user set `wire_api` explicitly.
 * @throws UpstreamError for every upstream failure (the router classifies them).
 */
async function startResponses(
  deps: ProxyDeps,
  rt: Runtime,
  d: Deployment,
  body: Record<string, unknown>,
  stream: boolean,
  signal: AbortSignal,
): Promise<Started> {
  const facts = rt.factsOf(d);
  const wire = wireOrRefuse(deps, d, facts);
  const key = resolveKey(d, deps.secrets, deps.keyHint, facts.keyRequired);
  const accept = stream ? 'text/event-stream' : 'application/json';
  if (wire === 'responses') {
    const up = withDefaults(facts, body);
    up.model = d.model;
    if (Array.isArray(up.input)) up.input = stripForeignReasoning(up.input as never);
    try {
      const res = await postJson(deps.dispatcher, targetFor(d).responses, upstreamHeaders(d, key, accept), JSON.stringify(up), signal, headersTimeout(d, stream), key);
      return { wire: 'responses', res };
    } catch (e) {
      if (!(e instanceof UpstreamError) || e.kind !== 'not_found' || d.wireExplicit) throw e;
      deps.learnedWire.set(d.id, 'chat');
      deps.logger.warn(`deployment ${d.id} (${d.provider}) has no /responses endpoint (HTTP 404): using Chat Completions for it from now on; set wire_api: chat in its litellm_params to skip this probe`);
    }
  }
  const plan = responsesToChatRequest(body as never, {
    model: d.model,
    provider: d.provider,
    dropParams: rt.config.dropParams,
    dropParamNames: facts.dropParamNames,
    maxTokens: d.maxTokens,
    extraBody: facts.bodyDefaults,
    stream,
  });
  if (plan.dropped.length && deps.logger.enabled('debug')) deps.logger.debug(`alias ${d.alias}: dropped for ${d.provider}: ${plan.dropped.join(', ')}`);
  const res = await postJson(deps.dispatcher, targetFor(d).chat, upstreamHeaders(d, key, accept), JSON.stringify(plan.body), signal, headersTimeout(d, stream), key);
  return { wire: 'chat', res, plan };
}


/**
 * Sends a non-streamed upstream answer whole, in one write with its `content-length` (a JSON answer is
 * only useful once complete; chunked encoding would cost a second write for its terminator).
 * @returns the body, for the usage count.
 */
async function sendWhole(scope: RequestScope, up: UpstreamResponse, meta: Record<string, string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of up.body) chunks.push(c as Buffer);
  const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  scope.res.writeHead(200, { 'content-type': String(up.headers['content-type'] ?? 'application/json'), 'content-length': body.length, ...meta });
  scope.firstByte();
  scope.res.end(body);
  return body;
}

/** Writes bytes with backpressure. */
async function write(res: ServerResponse, chunk: string | Buffer): Promise<void> {
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
 * Passes a Responses upstream answer through byte for byte, watching the SSE events only for usage and
 * for whether the stream finished (`response.completed` / `.incomplete` / `.failed`). If the upstream
 * stream breaks before that, a `response.failed` event is appended so Codex sees a clear end.
 */
async function relayResponses(scope: RequestScope, up: UpstreamResponse, stream: boolean, meta: Record<string, string>): Promise<Usage> {
  const res = scope.res;
  const usage: Usage = {};
  if (!stream) {
    readUsage((await sendWhole(scope, up, meta)).toString('utf8'), RESPONSES_USAGE, usage);
    return usage;
  }
  res.writeHead(200, { ...SSE_HEADERS, ...meta });
  scope.firstByte();
  let finished = false;
  const parser = createParser({
    onEvent(ev: EventSourceMessage) {
      const type = ev.event ?? '';
      if (type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed' || (!type && ev.data.includes('"response.completed"'))) {
        finished = true;
        readUsage(ev.data, RESPONSES_EVENT_USAGE, usage);
      }
    },
  });
  try {
    await pipeTapped(up, res, (t) => parser.feed(t));
  } catch (e) {
    if (scope.abort.signal.aborted) throw e;
    if (!finished) res.write(failedEvent('server_error', brokenStreamMessage(`The upstream stream broke: ${(e as Error).message}`)));
    res.end();
    throw e;
  }
  if (!finished) res.write(failedEvent('server_error', brokenStreamMessage('The upstream closed the stream before response.completed.')));
  res.end();
  return usage;
}

/** A minimal `response.failed` event (Responses API streaming events) for a broken pass-through stream. */
function failedEvent(code: string, message: string): string {
  return encodeSse({
    type: 'response.failed',
    sequence_number: 0,
    response: { id: newResponseId(), object: 'response', status: 'failed', error: { code, message }, output: [] },
  } as never);
}

/**
 * Translates a streamed Chat Completions answer into Responses API events as chunks arrive
 * (SSE in, SSE out, one upstream chunk at a time; nothing is held back).
 * An upstream that breaks mid-stream ends the Responses stream with `response.failed` (code
 * `server_error`, which Codex retries); see codex-wire.md "Errors as Codex handles them".
 */
async function streamChatAsResponses(scope: RequestScope, up: UpstreamResponse, ctx: ResponseContext, meta: Record<string, string>): Promise<Usage> {
  const res = scope.res;
  const tr = new ChatToResponsesStream(ctx);
  res.writeHead(200, { ...SSE_HEADERS, ...meta });
  let out = '';
  for (const ev of tr.start()) out += encodeSse(ev);
  res.write(out);
  scope.firstByte();
  let done = false;
  let parseError: Error | undefined;
  const parser = createParser({
    onEvent(ev: EventSourceMessage) {
      if (done || parseError) return;
      const data = ev.data;
      if (data === '[DONE]') {
        done = true;
        for (const e of tr.end()) out += encodeSse(e);
        return;
      }
      let chunk: any;
      try {
        chunk = JSON.parse(data);
      } catch {
        return; // keep-alive comments or junk lines: ignore
      }
      if (chunk && chunk.error) {
        // Upstream text reaches the client and the log: scrub anything key-shaped first.
        parseError = new Error(redactSecrets(String(chunk.error.message ?? 'upstream error')));
        return;
      }
      for (const e of tr.push(chunk)) out += encodeSse(e);
    },
  });
  try {
    for await (const c of up.body) {
      out = '';
      parser.feed((c as Buffer).toString('utf8'));
      if (parseError) {
        for (const e of tr.fail('server_error', brokenStreamMessage(`The upstream reported an error mid-stream: ${parseError.message}`))) out += encodeSse(e);
        await write(res, out);
        res.end();
        throw parseError;
      }
      if (out) await write(res, out);
      // No `break` after [DONE]: leaving a for-await early destroys the body with an AbortError (measured
      // at 4-6% of CPU per translated stream); the upstream ends the body right after [DONE] anyway.
    }
  } catch (e) {
    if (scope.abort.signal.aborted || parseError) throw e;
    out = '';
    for (const ev of tr.fail('server_error', brokenStreamMessage(`The upstream stream broke: ${(e as Error).message}`))) out += encodeSse(ev);
    res.end(out);
    throw e;
  }
  if (!done) {
    // Some OpenAI-compatible servers end without `data: [DONE]`; a finish_reason was enough then.
    out = '';
    for (const e of tr.end()) out += encodeSse(e);
    res.write(out);
  }
  res.end();
  const u = tr.usage;
  return { input: u?.input_tokens, output: u?.output_tokens };
}

/** Non-streamed chat answer -> one Responses `response` object. */
async function chatJsonAsResponses(scope: RequestScope, up: UpstreamResponse, ctx: ResponseContext, meta: Record<string, string>): Promise<Usage> {
  const chat = (await up.body.json()) as never;
  const r = chatToResponsesResponse(chat, ctx) as { usage?: { input_tokens?: number; output_tokens?: number } };
  const body = JSON.stringify(r);
  scope.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...meta });
  scope.firstByte();
  scope.res.end(body);
  return { input: r.usage?.input_tokens, output: r.usage?.output_tokens };
}

/**
 * Route handler for `POST /v1/chat/completions` (streamed and not), passed through to a chat upstream.
 * Never throws; errors are written (OpenAI error shape before the first byte, an SSE `error` event after).
 */
export function handleChat(deps: ProxyDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return proxy<UpstreamResponse>(
    deps,
    req,
    res,
    '/v1/chat/completions',
    (rt, d, body, stream, signal) => startChat(deps, rt, d, body, stream, signal),
    () => 'chat',
    (scope, routed, _body, stream, meta) => relayChat(scope, routed.value, stream, meta),
  );
}

/**
 * Passes a Chat Completions answer through byte for byte. Usage is read on the side without holding the
 * stream: only SSE events that mention "usage" are parsed (a JSON answer is parsed once it is complete).
 * A stream that breaks after the first byte gets a final `data: {"error": ...}` event (OpenAI's in-stream
 * error shape).
 */
async function relayChat(scope: RequestScope, up: UpstreamResponse, stream: boolean, meta: Record<string, string>): Promise<Usage> {
  const res = scope.res;
  const usage: Usage = {};
  if (!stream) {
    const body = await sendWhole(scope, up, meta);
    // Only a body that mentions usage is parsed (for the log line).
    if (body.includes('"usage"')) readUsage(body.toString('utf8'), CHAT_USAGE, usage);
    return usage;
  }
  res.writeHead(200, { ...SSE_HEADERS, ...meta });
  scope.firstByte();
  const parser = createParser({
    onEvent(ev) {
      if (ev.data.includes('"usage"')) readUsage(ev.data, CHAT_USAGE, usage);
    },
  });
  try {
    await pipeTapped(up, res, (t) => parser.feed(t));
  } catch (e) {
    if (!scope.abort.signal.aborted) {
      const message = brokenStreamMessage(`The upstream stream broke: ${(e as Error).message}`, false);
      res.write(`data: ${JSON.stringify({ error: { message, type: 'upstream_error', code: 'server_error' } })}\n\n`);
    }
    throw e;
  }
  res.end();
  return usage;
}

/**
 * One attempt of a chat request: the client's body with the upstream model name, deployment defaults
 * under the client's values, and rejected params dropped when `drop_params` is on.
 * @throws UpstreamError on upstream failure; GatewayError 400 when a rejected param is present and
 *   `drop_params` is off.
 */
async function startChat(deps: ProxyDeps, rt: Runtime, d: Deployment, body: Record<string, unknown>, stream: boolean, signal: AbortSignal): Promise<UpstreamResponse> {
  const facts = rt.factsOf(d);
  wireOrRefuse(deps, d, facts);
  const key = resolveKey(d, deps.secrets, deps.keyHint, facts.keyRequired);
  const up = withDefaults(facts, body);
  up.model = d.model;
  for (const p of facts.dropParamNames) {
    if (!(p in up)) continue;
    if (rt.config.dropParams) delete up[p];
    else {
      throw new GatewayError(
        400,
        `"${p}" is not supported by ${facts.providerName} (alias "${d.alias}"): remove it from the request, or set litellm_settings.drop_params: true to drop it automatically.`,
        'invalid_request_error',
        'unsupported_parameter',
        p,
      );
    }
  }
  if (d.maxTokens !== undefined && up.max_tokens === undefined && up.max_completion_tokens === undefined) up.max_tokens = d.maxTokens;
  return postJson(deps.dispatcher, targetFor(d).chat, upstreamHeaders(d, key, stream ? 'text/event-stream' : 'application/json'), JSON.stringify(up), signal, headersTimeout(d, stream), key);
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
