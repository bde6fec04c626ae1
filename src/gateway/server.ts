/**
 * The gateway's HTTP server: Hono routes on Node's http server, bound to 127.0.0.1 by default.
 *
 * Routes (all JSON errors in the OpenAI error shape):
 * - `GET /health/liveliness`, `GET /health/readiness`: no auth, no upstream calls (LiteLLM's names).
 * - `POST /v1/responses`, `POST /v1/chat/completions` (also without the `/v1` prefix): the proxy, dispatched
 *   before Hono on the hot path (same checks; see `Gateway.listener`).
 * - `GET /v1/models`: OpenAI list shape; `GET /v1/codex/models`: the Codex model catalog
 *   (`{"models":[...]}`, for `model_catalog_url`).
 * - `GET /v1/health`: per-deployment router state and key status (no tokens spent);
 *   `GET /v1/health?probe=1` also sends a one-token request to every deployment (spends tokens).
 *
 * Every route except the two health probes needs `Authorization: Bearer <master key>`. Every route
 * refuses a non-loopback `Host` or a non-loopback web `Origin` (DNS rebinding, drive-by pages).
 */
import { getRequestListener, type HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import type { AddressInfo } from 'node:net';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import { BearerCheck, checkHostAndOrigin } from './auth';
import { errorBody, GatewayError } from './errors';
import { Logger } from './log';
import { LearnedWires } from './wires/learned';
import { handleChat, handleCountTokens, handleMessages, handleResponses, sendError, type ProxyDeps } from './proxy';
import { DOORS } from './wires/registry';
import type { RouterOptions } from './router';
import { Runtime, type ListingDeps } from './runtime';
import type { GatewayConfig, SecretResolver } from './types';
import { ChatgptPlan, type ChatgptPlanOptions } from './chatgpt/plan';
import { ChatgptAccount } from './chatgpt/account';
import { providerFor } from './config/providers';
import { cliKeyHint, createDispatcher, postJson, resolveKey, targetFor, upstreamHeaders, type KeyHint } from './upstream';

/** A proxy route: its handler, and whether it is Anthropic's wire (errors in its shape, `x-api-key` accepted). */
interface ProxyRoute {
  handler: typeof handleChat;
  anthropic: boolean;
}

/** The proxy routes, served without Hono (see Gateway.listener). */
const PROXY_ROUTES: ReadonlyMap<string, ProxyRoute> = new Map([
  ['/v1/responses', { handler: handleResponses, anthropic: false }],
  ['/responses', { handler: handleResponses, anthropic: false }],
  ['/v1/chat/completions', { handler: handleChat, anthropic: false }],
  ['/chat/completions', { handler: handleChat, anthropic: false }],
  ['/v1/messages', { handler: handleMessages, anthropic: true }],
  ['/v1/messages/count_tokens', { handler: handleCountTokens, anthropic: true }],
]);

/** A header's single value (the first of a repeated header). */
function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The path of a request URL without its query string. */
function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * A complete HTTP/1.1 error answer in the OpenAI error shape, as raw bytes for a socket, for what Node answers
 * before any route runs (parser errors, CONNECT). It closes the connection.
 */
function rawErrorAnswer(status: number, message: string, code: string): string {
  const body = JSON.stringify(errorBody(message, 'invalid_request_error', code));
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/**
 * `clientError` handler: a request Node's HTTP parser refused (malformed request line or headers, broken
 * Content-Length or chunked framing, headers over 16 KiB, a body cut off by the client) gets 400 / 413 / 431 / 408 in
 * the OpenAI error shape instead of Node's bodiless default; then the connection closes.
 */
function refuseMalformed(err: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  let status = 400;
  let code = 'malformed_request';
  let message = `The request is not valid HTTP/1.1 (${err.code ?? 'parse error'}): check the request line, the headers, and the Content-Length or chunked framing of the body.`;
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      [status, code, message] = [431, 'headers_too_large', 'The request headers are larger than the gateway accepts (16 KiB): send fewer or shorter headers.'];
      break;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      [status, code, message] = [413, 'request_too_large', 'The chunk extensions of the request body are too large: send the body without chunk extensions.'];
      break;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      [status, code, message] = [408, 'request_timeout', 'The request did not arrive completely in time: send the whole request without pausing.'];
      break;
  }
  socket.end(rawErrorAnswer(status, message, code), () => socket.destroy());
}

/** Options of a {@link Gateway}. */
export interface GatewayOptions {
  /** The resolved configuration to serve first (see `resolveConfig`); replace it later with `reload`. */
  config: GatewayConfig;
  /** The bearer token clients must send. */
  masterKey: string;
  /** Resolves provider keys by name (env var name). Default: `process.env`. */
  secrets?: SecretResolver;
  /** How to tell a user to set a missing key. */
  keyHint?: KeyHint;
  /** Destination of the request log and warnings. Default: a stderr logger at `config.server.logLevel`. */
  logger?: Logger;
  /** Alias that the virtual alias `default` stands for (default: the first alias). */
  defaultModel?: string;
  /** Router test hooks (clock, random). */
  routerOptions?: RouterOptions;
  /** Dispatcher for upstream calls (default: keep-alive pool with proxy env support). */
  dispatcher?: Dispatcher;
  /**
   * The user's ChatGPT plan for `chatgpt/<model>` deployments, or options to build it (credentials from
   * `$CODEX_HOME/auth.json` of this process by default; read only when such a deployment is called).
   */
  chatgpt?: ChatgptPlan | ChatgptPlanOptions;
}

type Env = { Bindings: HttpBindings };

/**
 * One gateway: configuration runtime, upstream pool and HTTP app. `listen()` starts serving;
 * `reload()` swaps the configuration without dropping requests in flight; `close()` stops.
 */
export class Gateway {
  /** The logger every request record and warning goes to (subscribe with `logger.onRequest`). */
  readonly logger: Logger;
  /**
   * The Hono app of every route except the proxy routes (those are dispatched before Hono, see
   * `listener`). `app.fetch` is a web-standard handler: `Request` in, `Response` out.
   */
  readonly app: Hono<Env>;
  private runtime: Runtime;
  private bearer: BearerCheck;
  private readonly dispatcher: Dispatcher;
  private readonly deps: ProxyDeps;
  private server?: Server;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private bindHost = '127.0.0.1';
  private readonly secrets: SecretResolver;
  private readonly keyHint: KeyHint;
  private readonly routerOptions: RouterOptions;
  private defaultModel: string | undefined;
  /** The user's ChatGPT plan: sign-in (read on demand) and usage state (see chatgpt/plan.ts). */
  readonly chatgpt: ChatgptPlan;

  /**
   * Builds the runtime (router, model list, catalog) for `opts.config` and the HTTP app; does not listen
   * yet (see {@link listen}). Nothing is sent upstream and no key is read here.
   */
  constructor(opts: GatewayOptions) {
    this.logger = opts.logger ?? new Logger(opts.config.server.logLevel);
    this.routerOptions = {
      ...opts.routerOptions,
      onEvent: opts.routerOptions?.onEvent ?? ((e) => this.logger.debug(`router: ${JSON.stringify(e)}`)),
    };
    this.defaultModel = opts.defaultModel;
    this.bearer = new BearerCheck(opts.masterKey);
    this.dispatcher = opts.dispatcher ?? createDispatcher();
    this.secrets = opts.secrets ?? ((name) => process.env[name]);
    this.runtime = new Runtime(opts.config, this.routerOptions, this.listingDeps());
    this.keyHint = opts.keyHint ?? cliKeyHint;
    const learnedWire = new LearnedWires();
    this.chatgpt = opts.chatgpt instanceof ChatgptPlan ? opts.chatgpt : new ChatgptPlan(opts.chatgpt);
    this.deps = {
      accounts: { codex_chatgpt: new ChatgptAccount(this.chatgpt) },
      runtime: () => this.runtime,
      defaultModel: () => this.defaultModel,
      dispatcher: this.dispatcher,
      secrets: this.secrets,
      keyHint: this.keyHint,
      logger: this.logger,
      learnedWire,
      track: (delta) => {
        this.inFlight += delta;
        if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
      },
    };
    this.app = this.buildApp();
  }

  /** The configuration in force. */
  get config(): GatewayConfig {
    return this.runtime.config;
  }

  /** Router of the configuration in force (health view, tests). */
  get router() {
    return this.runtime.router;
  }

  /**
   * Replaces the configuration. Requests in flight finish on the old one; new requests use the new one.
   * Router state (cooldowns, latency) starts fresh for the new deployments.
   */
  reload(config: GatewayConfig): void {
    this.runtime = new Runtime(config, this.routerOptions, this.listingDeps());
    this.deps.learnedWire.clear();
  }

  /** What a Runtime needs to ask wildcard routes' providers for their model lists (`check_provider_endpoint`). */
  private listingDeps(): ListingDeps {
    return { secrets: this.secrets, dispatcher: this.dispatcher, logger: this.logger };
  }

  /**
   * Sets the alias that the virtual alias `default` routes to, effective for the next request (no reload).
   * @param alias an alias of the config, or undefined for the first alias.
   */
  setDefaultModel(alias: string | undefined): void {
    this.defaultModel = alias;
  }

  /** The alias `default` currently routes to. */
  get currentDefault(): string | undefined {
    return this.runtime.defaultTarget(this.defaultModel);
  }

  /** Replaces the master key (token rotation); takes effect for the next request. */
  setMasterKey(token: string): void {
    this.bearer = new BearerCheck(token);
  }

  private buildApp(): Hono<Env> {
    const app = new Hono<Env>();
    app.onError((err, c) => {
      const g = err instanceof GatewayError ? err : undefined;
      if (!g) this.logger.error(`internal error: ${err.stack ?? err.message}`);
      const e = g ?? new GatewayError(500, `Codex Gateway hit an internal error (${err.message}); see the gateway log.`, 'server_error', 'internal_error');
      return c.json(e.toBody(), e.status as 500, e.headers);
    });
    app.notFound((c) =>
      c.json(errorBody(`No route for ${c.req.method} ${c.req.path}. The gateway serves POST /v1/responses, POST /v1/chat/completions and GET /v1/models.`, 'invalid_request_error', 'not_found'), 404),
    );
    // Host / Origin first, for every route: a rebinding page must not even learn that we are here.
    app.use('*', async (c, next) => {
      const refused = this.refuseHost(c.req.header('host'), c.req.header('origin'));
      if (refused) return c.json(refused.toBody(), refused.status as 403);
      await next();
    });
    app.get('/health/liveliness', (c) => c.json("I'm alive!"));
    app.get('/health/readiness', (c) =>
      c.json({ status: 'healthy', aliases: this.runtime.config.groups.size, deployments: this.runtime.config.deployments.length, in_flight: this.inFlight }),
    );
    app.use('*', async (c, next) => {
      const refused = this.refuseToken(c.req.header('authorization'));
      if (refused) return c.json(refused.toBody(), refused.status as 401);
      await next();
    });
    // POST /v1/responses and /v1/chat/completions never reach Hono: see listener().
    const models = async (c: Context<Env>) => {
      // Names wildcard routes list: asked of their providers when check_provider_endpoint is on (cached, bounded).
      await this.runtime.refreshListing();
      // Codex asks `GET {base_url}/models?client_version=X` and wants its catalog shape.
      const body = c.req.query('client_version') !== undefined ? this.runtime.combinedModelsJson(this.defaultModel) : this.runtime.modelsJson;
      return c.body(body, 200, { 'content-type': 'application/json' });
    };
    app.get('/v1/models', models);
    app.get('/models', models);
    app.get('/v1/codex/models', async (c) => {
      await this.runtime.refreshListing();
      return c.body(this.runtime.catalogJson(this.defaultModel), 200, { 'content-type': 'application/json' });
    });
    app.get('/v1/health', async (c) => c.json(await this.health(c.req.query('probe') === '1' || c.req.query('probe') === 'true')));
    return app;
  }

  /**
   * The refusal for a request whose `Host` is not loopback or whose `Origin` is a foreign web page
   * (403 `forbidden_host`), or null when it may proceed.
   */
  private refuseHost(host: string | undefined, origin: string | undefined): GatewayError | null {
    const why = checkHostAndOrigin(host, origin, this.bindHost);
    return why ? new GatewayError(403, `Refused: ${why}.`, 'permission_error', 'forbidden_host') : null;
  }

  /**
   * The refusal for a missing or wrong gateway token (401 `invalid_api_key`), or null when it is right.
   * @param anthropic the route also takes the token as `x-api-key` (said in the message).
   */
  private refuseToken(authorization: string | undefined, anthropic = false): GatewayError | null {
    if (this.bearer.verify(authorization)) return null;
    return new GatewayError(
      401,
      `Missing or wrong gateway token: send "Authorization: Bearer <master key>"${anthropic ? ' or "x-api-key: <master key>" (ANTHROPIC_AUTH_TOKEN or ANTHROPIC_API_KEY for Claude Code)' : ''} (the key is in general_settings.master_key, or in the file \`codex-gateway serve\` printed at start).`,
      'authentication_error',
      'invalid_api_key',
    );
  }

  /**
   * The node:http request listener. The two proxy routes (`POST /v1/responses`, `POST /v1/chat/completions`,
   * also without `/v1`) are dispatched here directly, after the same Host/Origin and token checks as the
   * Hono middleware: they write to Node's response themselves, and skipping Hono's request and context
   * objects on this hot path was measured (bench/results/profile.md) to matter for throughput. Every other
   * route goes through the Hono app.
   */
  private listener(): (req: IncomingMessage, res: ServerResponse) => void {
    const hono = getRequestListener(this.app.fetch);
    return (req, res) => {
      const url = req.url ?? '';
      if (url[0] !== '/' && !/^https?:\/\//i.test(url)) {
        // `OPTIONS *` and authority-form targets: Hono's adapter cannot make a URL of them (it answered a bodiless 400).
        req.resume();
        return sendError(res, new GatewayError(400, 'The request target is not a path: send requests to a path such as /v1/responses.', 'invalid_request_error', 'invalid_target'));
      }
      const route = req.method === 'POST' ? PROXY_ROUTES.get(pathOf(req.url)) : undefined;
      if (!route) return void hono(req, res);
      // Anthropic's wire: the token also as `x-api-key` (Claude Code's ANTHROPIC_API_KEY and apiKeyHelper).
      const keyOk = route.anthropic && this.bearer.verifyKey(headerValue(req.headers['x-api-key']));
      const refused = this.refuseHost(req.headers.host, req.headers.origin) ?? (keyOk ? null : this.refuseToken(req.headers.authorization, route.anthropic));
      if (refused) {
        req.resume();
        return sendError(res, refused, route.anthropic ? DOORS.messages : undefined);
      }
      void route.handler(this.deps, req, res);
    };
  }

  /**
   * Per-deployment health: router state (in flight, cooldown, recent failures, latency) and key status
   * (`set`, `missing` or `not_required`; never the value). With `probe`, each deployment also gets a
   * one-token chat request (this spends tokens) and its result or error is reported.
   */
  async health(probe: boolean): Promise<{ deployments: Array<Record<string, unknown>>; chatgpt_plan?: Record<string, unknown> }> {
    const rt = this.runtime;
    const byId = new Map(rt.router.health().map((h) => [h.id, h]));
    const out: Array<Record<string, unknown>> = [];
    await Promise.all(
      rt.config.deployments.map(async (d, i) => {
        const facts = rt.factsOf(d);
        // A chatgpt/<model> deployment uses the Codex sign-in, not a key, and is never probed (it would spend the plan).
        const plan = providerFor(d.provider)?.credentials === 'codex_chatgpt';
        let key: 'set' | 'missing' | 'not_required' = 'not_required';
        if (d.apiKey.kind === 'literal') key = 'set';
        else if (d.apiKey.kind === 'env') key = this.secrets(d.apiKey.name) ? 'set' : 'missing';
        else if (facts.keyRequired) key = 'missing';
        const entry: Record<string, unknown> = {
          ...byId.get(d.id),
          id: d.id,
          alias: d.alias,
          provider: d.provider,
          model: d.model,
          api_base: d.apiBase,
          wire_api: this.deps.learnedWire.wireOf(d),
          key_name: d.apiKey.kind === 'env' ? d.apiKey.name : undefined,
          key,
        };
        if (probe && !plan) entry.probe = await this.probe(d);
        out[i] = entry;
      }),
    );
    if (!rt.config.deployments.some((d) => providerFor(d.provider)?.credentials === 'codex_chatgpt')) return { deployments: out };
    // The plan's usage as the backend last reported it (times epoch ms); never a token.
    return { deployments: out, chatgpt_plan: { enabled: rt.config.chatgptPlan === true, usage: this.chatgpt.usage.get() ?? null } };
  }

  /** Sends a minimal chat request (max 1 token) to one deployment; reports ok + latency or the error. */
  private async probe(d: GatewayConfig['deployments'][number]): Promise<Record<string, unknown>> {
    const t0 = performance.now();
    try {
      const facts = this.runtime.factsOf(d);
      const key = resolveKey(d, this.secrets, this.keyHint, facts.keyRequired);
      this.logger.addSecret(key);
      // A 1-token request on the deployment's own wire (Messages needs max_tokens and a user turn).
      const messages = d.wire === 'messages';
      const res = await postJson(
        this.dispatcher,
        messages ? targetFor(d).messages : targetFor(d).chat,
        upstreamHeaders(d, key, 'application/json', messages ? 'messages' : 'chat'),
        JSON.stringify({ model: d.model, messages: [{ role: 'user', content: 'ping' }], max_tokens: 1 }),
        AbortSignal.timeout(Math.min(d.timeoutMs, 30_000)),
        Math.min(d.timeoutMs, 30_000),
        key,
      );
      for await (const _ of res.body) { /* drain */ }
      return { ok: true, latency_ms: Math.round(performance.now() - t0) };
    } catch (e) {
      return { ok: false, latency_ms: Math.round(performance.now() - t0), error: (e as Error).message };
    }
  }

  /**
   * Starts listening.
   * @param host bind address (default: the config's, 127.0.0.1).
   * @param port port (default: the config's; 0 picks a free one).
   * @returns the bound address and the base URL (`http://127.0.0.1:PORT`).
   * @throws Error when the address cannot be bound: for EADDRINUSE, EACCES and EADDRNOTAVAIL a message that
   *   says what to do (Node's `code` kept); any other listen error as Node reports it.
   */
  async listen(host = this.runtime.config.server.host, port = this.runtime.config.server.port): Promise<{ host: string; port: number; url: string }> {
    this.bindHost = host;
    // requireHostHeader: false lets a request without Host reach checkHostAndOrigin (403 in the OpenAI shape)
    // instead of Node's bodiless 400.
    const server = createServer({ requireHostHeader: false }, this.listener());
    server.on('clientError', refuseMalformed);
    server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
      socket.end(rawErrorAnswer(405, 'CONNECT is not supported: Codex Gateway is not a proxy. Send POST /v1/responses or POST /v1/chat/completions.', 'method_not_allowed'), () => socket.destroy());
    });
    server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      sendError(res, new GatewayError(417, 'The Expect header asks for something the gateway does not support: send the request without it (Expect: 100-continue is fine).', 'invalid_request_error', 'expectation_failed'));
    });
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    // Receiving one whole request (headers and body) is bounded, so a client that stalls mid-body cannot
    // hold a request forever (it gets a 408); Node stops this clock once the request is received, so long
    // streamed answers are unaffected. Idle sockets are bounded by keepAliveTimeout.
    server.requestTimeout = 120_000;
    await new Promise<void>((resolve, reject) => {
      // The rephrased errors keep Node's `code`, so callers can still tell them apart.
      const explained = (e: NodeJS.ErrnoException, message: string) => Object.assign(new Error(message), { code: e.code });
      const onError = (e: NodeJS.ErrnoException) => {
        if (e.code === 'EADDRINUSE') {
          reject(explained(e, `Port ${port} on ${host} is already in use: stop the other process, or choose another port with --port N (or gateway_settings.port).`));
        } else if (e.code === 'EACCES') {
          reject(explained(e, `Port ${port} on ${host} needs privileges this user does not have: choose a port from 1024 up with --port N (or gateway_settings.port).`));
        } else if (e.code === 'EADDRNOTAVAIL') {
          reject(explained(e, `${host} is not an address of this machine: bind to 127.0.0.1 with --host (or gateway_settings.host).`));
        } else reject(e);
      };
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    this.server = server;
    const addr = server.address() as AddressInfo;
    const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return { host: addr.address, port: addr.port, url: `http://${shown}:${addr.port}` };
  }

  /**
   * Stops accepting connections, lets in-flight responses finish for up to `graceMs`, then closes every
   * socket and the upstream pool.
   */
  async close(graceMs = this.runtime.config.server.shutdownGraceMs): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      if (this.inFlight > 0) {
        await Promise.race([new Promise<void>((r) => this.idleWaiters.push(r)), new Promise<void>((r) => setTimeout(r, graceMs).unref())]);
      }
      server.closeAllConnections();
      await closed;
    }
    await this.dispatcher.close().catch(() => undefined);
    this.logger.flush();
  }
}

