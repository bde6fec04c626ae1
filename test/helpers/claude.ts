/**
 * Runs the REAL Claude Code CLI (npm `@anthropic-ai/claude-code`, pinned in package.json; its native binary
 * comes in `@anthropic-ai/claude-code-linux-x64`) headless against a gateway (or any Anthropic-wire server)
 * in end-to-end tests, the way test/helpers/codex.ts runs Codex:
 *
 *   claude -p <prompt> --output-format stream-json --verbose --no-session-persistence [--allowedTools Bash]
 *
 * Two ways to point it at the gateway ({@link ClaudeAuth}):
 * - environment: `ANTHROPIC_BASE_URL` (the gateway origin, no `/v1`), the token as `ANTHROPIC_AUTH_TOKEN`
 *   (sent as `Authorization: Bearer`) or `ANTHROPIC_API_KEY` (sent as `x-api-key`), `ANTHROPIC_MODEL` and
 *   the tier variables `ANTHROPIC_DEFAULT_{HAIKU,SONNET,OPUS}_MODEL` (Claude Code asks for the haiku tier on
 *   its own for background work);
 * - settings only: NO gateway variable in the environment, but `~/.claude/settings.json` (the default
 *   `CLAUDE_CONFIG_DIR`; the variable is left unset so the default location is what is tested) holding an
 *   `env` object with the same variables and an `apiKeyHelper` command that prints the gateway token from
 *   a 0600 token file, as the VS Code extension will write it.
 *
 * Isolation and safety:
 * - every run has its own `HOME` (and config dir `<home>/.claude`), working directory and `TMPDIR`; the
 *   child gets a minimal environment (PATH, locale, those folders, the variables above): no inherited
 *   provider keys, proxies or Claude Code settings;
 * - offline: every network feature Claude Code 2.1.328 has a switch for is off ({@link OFFLINE_ENV}:
 *   non-essential traffic (telemetry, error reporting, auto-update, feature flags, release notes), the
 *   auto-updater, GrowthBook, the feedback survey, plugin marketplace auto-install, installation checks);
 *   gateway model discovery stays off (its default). As a net, `HTTP(S)_PROXY` / `ALL_PROXY` point at an
 *   {@link EgressTrap} on 127.0.0.1 with `NO_PROXY` = loopback only: anything that still tries a
 *   non-loopback host goes to the trap, which refuses it and records the attempt
 *   ({@link ClaudeResult.egress}, which tests assert empty);
 * - the child is spawned in its own process group and killed as a group (SIGKILL) on timeout and after it
 *   exits, so Bash commands it started die with it;
 * - Claude Code refuses `--dangerously-skip-permissions` as root, so tool turns use `--allowedTools Bash`;
 *   `--strict-mcp-config` (no MCP servers) and `--no-session-persistence`; `CLAUDE_CODE_MAX_RETRIES` 2 so a
 *   failing answer ends the run in seconds instead of minutes of backoff.
 *
 * By default a {@link WireTap} (a recording pass-through proxy on 127.0.0.1) sits between Claude Code and
 * the server: {@link ClaudeResult.exchanges} holds every request Claude Code made (credential headers
 * redacted, classified against the token) and the answer it got, for assertions and failure messages.
 * Claude Code's stream-json output is parsed into {@link ClaudeResult} (assistant texts, tool uses, tool
 * results, the result event, API errors with their status and type, retries).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as zlib from 'node:zlib';
import type { AddressInfo, Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { spawnGroup } from './child';

/** Repository root (two levels above this file). */
const REPO_ROOT = resolve(__dirname, '..', '..');
/** The Claude Code launcher installed by npm (a native executable). */
export const CLAUDE_BIN = join(REPO_ROOT, 'node_modules', '.bin', 'claude');
/** The version the harness is written against (package.json pins it). */
export const CLAUDE_VERSION = '2.1.328';

/**
 * Switches that keep Claude Code off the network apart from the model requests to `ANTHROPIC_BASE_URL`
 * (names from Claude Code's settings documentation and the 2.1.328 binary).
 */
export const OFFLINE_ENV: Readonly<Record<string, string>> = {
  // Umbrella switch: telemetry, error reporting, auto-updates, release notes, feature flags.
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  // The individual switches it stands for, for belt and braces.
  DISABLE_AUTOUPDATER: '1',
  DISABLE_UPDATES: '1',
  DISABLE_TELEMETRY: '1',
  DISABLE_ERROR_REPORTING: '1',
  DISABLE_GROWTHBOOK: '1',
  DISABLE_INSTALLATION_CHECKS: '1',
  CLAUDE_CODE_DISABLE_FEATURE_FLAGS: '1',
  CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY: '1',
  CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: '1',
  // Tools that would fetch from the internet if the mock model asked for them.
  CLAUDE_CODE_DISABLE_WEB_FETCH: '1',
};

/* ------------------------------------------------------------------------------------------------ */

/** A local HTTP proxy that refuses everything and records what came to it. */
export interface EgressTrap {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** What reached the trap: `CONNECT host:port` or `METHOD url`, in order. */
  attempts: string[];
  close(): Promise<void>;
}

/** Starts an {@link EgressTrap} on 127.0.0.1 (an OS-assigned port). */
export async function startEgressTrap(): Promise<EgressTrap> {
  const attempts: string[] = [];
  const server = http.createServer((req, res) => {
    attempts.push(`${req.method} ${req.url}`);
    res.writeHead(403, { 'content-type': 'text/plain', connection: 'close' });
    res.end('egress refused by the test harness\n');
  });
  server.on('connect', (req: http.IncomingMessage, socket: Socket) => {
    attempts.push(`CONNECT ${req.url}`);
    socket.on('error', () => undefined);
    socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n');
  });
  const { origin: url, close } = await listenTracked(server);
  return { url, attempts, close };
}

/**
 * Listens on 127.0.0.1 (an OS-assigned port), tracking every socket so `close` destroys them all, CONNECTed
 * ones included (`closeAllConnections` does not reach those).
 * @throws (rejects) the listen error.
 */
function listenTracked(server: http.Server): Promise<{ origin: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolvePromise({
        origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

/* ------------------------------------------------------------------------------------------------ */

/** One HTTP request Claude Code made through a {@link WireTap}, and the answer it got. */
export interface WireExchange {
  method: string;
  /** Path without the query, e.g. `/v1/messages`. */
  path: string;
  /** The query string without `?` (`beta=true`), or ''. */
  query: string;
  /** Request headers (names lower-cased); `authorization` and `x-api-key` values replaced by `<redacted>`. */
  headers: Record<string, string>;
  /**
   * What the credential headers held, compared with the token the tap was told about: `Authorization`
   * (`token` = exactly `Bearer <token>`) and `x-api-key` (`token` = exactly the token); `none` when absent.
   */
  auth: { bearer: 'token' | 'other' | 'none'; xApiKey: 'token' | 'other' | 'none' };
  /** The request body: parsed JSON, the text when not JSON, undefined when empty. */
  body: any;
  /** The answer's status (undefined when none came). */
  status: number | undefined;
  /** The answer's headers (names lower-cased). */
  responseHeaders: Record<string, string>;
  /** The answer's body as text (decompressed; at most the first 1 MiB). */
  responseText: string;
  /** The answer's body parsed as JSON, when it is JSON. */
  responseJson: any;
  /** What went wrong passing the request on, if anything. */
  error: string | undefined;
  /** True once the answer ended (or failed). */
  done: boolean;
}

/** A recording pass-through proxy between Claude Code and the server it talks to. */
export interface WireTap {
  /** `http://127.0.0.1:PORT`: give this to Claude Code as `ANTHROPIC_BASE_URL`. */
  origin: string;
  exchanges: WireExchange[];
  /** The credentials an exchange carried (kept out of the record itself so it can be printed). */
  credentialsOf(x: WireExchange): { authorization: string | undefined; xApiKey: string | undefined };
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade', 'te', 'trailer']);
const TAP_MAX = 1024 * 1024;

function decodeBody(buf: Buffer, encoding: string | undefined): string {
  try {
    if (encoding === 'gzip') return zlib.gunzipSync(buf).toString('utf8');
    if (encoding === 'deflate') return zlib.inflateSync(buf).toString('utf8');
    if (encoding === 'br') return zlib.brotliDecompressSync(buf).toString('utf8');
  } catch (e) {
    return `<${encoding} body that does not decode: ${String(e)}>`;
  }
  return encoding && encoding !== 'identity' ? `<${encoding} body, ${buf.length} bytes>` : buf.toString('utf8');
}

/**
 * Starts a {@link WireTap} on 127.0.0.1 passing every request on to `target` (an origin) unchanged but for
 * the `host` header and hop-by-hop headers, streaming the answer back as it comes, and recording both.
 */
export async function startWireTap(target: string, opts: { token?: string } = {}): Promise<WireTap> {
  const to = new URL(target);
  const exchanges: WireExchange[] = [];
  const creds = new WeakMap<WireExchange, { authorization: string | undefined; xApiKey: string | undefined }>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://tap');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const x: WireExchange = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      headers: { ...headers },
      auth: {
        bearer: headers.authorization === undefined ? 'none' : opts.token !== undefined && headers.authorization === `Bearer ${opts.token}` ? 'token' : 'other',
        xApiKey: headers['x-api-key'] === undefined ? 'none' : opts.token !== undefined && headers['x-api-key'] === opts.token ? 'token' : 'other',
      },
      body: undefined,
      status: undefined,
      responseHeaders: {},
      responseText: '',
      responseJson: undefined,
      error: undefined,
      done: false,
    };
    for (const k of ['authorization', 'x-api-key']) if (x.headers[k] !== undefined) x.headers[k] = '<redacted>';
    creds.set(x, { authorization: headers.authorization, xApiKey: headers['x-api-key'] });
    exchanges.push(x);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', (e) => {
      x.error = `client request: ${e.message}`;
      x.done = true;
    });
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const text = raw.toString('utf8');
      try {
        x.body = text === '' ? undefined : JSON.parse(text);
      } catch {
        x.body = text;
      }
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(headers)) if (!HOP_BY_HOP.has(k)) out[k] = v;
      out.host = to.host;
      out['content-length'] = String(raw.length);
      const up = http.request({ host: to.hostname, port: to.port, method: x.method, path: url.pathname + url.search, headers: out }, (ur) => {
        x.status = ur.statusCode;
        const rh: Record<string, string> = {};
        for (const [k, v] of Object.entries(ur.headers)) if (v !== undefined) rh[k] = Array.isArray(v) ? v.join(', ') : v;
        x.responseHeaders = rh;
        const pass: Record<string, string> = {};
        for (const [k, v] of Object.entries(rh)) if (!HOP_BY_HOP.has(k)) pass[k] = v;
        res.writeHead(ur.statusCode ?? 502, pass);
        res.flushHeaders();
        const got: Buffer[] = [];
        let size = 0;
        ur.on('data', (c: Buffer) => {
          if (size < TAP_MAX) got.push(c);
          size += c.length;
          res.write(c);
        });
        const finish = (err?: string) => {
          if (x.done) return;
          x.done = true;
          if (err) x.error = err;
          x.responseText = decodeBody(Buffer.concat(got), rh['content-encoding']);
          if (/json/.test(rh['content-type'] ?? '')) {
            try {
              x.responseJson = JSON.parse(x.responseText);
            } catch {
              // not JSON after all
            }
          }
        };
        ur.on('end', () => {
          finish();
          res.end();
        });
        ur.on('error', (e) => {
          finish(`upstream answer: ${e.message}`);
          res.destroy();
        });
        ur.on('aborted', () => {
          finish('upstream answer aborted');
          res.destroy();
        });
      });
      up.on('error', (e) => {
        x.error = `passing on: ${e.message}`;
        x.done = true;
        if (!res.headersSent) {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`wire tap: ${e.message}`);
        } else res.destroy();
      });
      // Claude Code gone: stop the request to the server too (as a direct connection would).
      res.on('close', () => {
        if (!res.writableFinished) up.destroy();
      });
      up.end(raw);
    });
  });
  const { origin, close } = await listenTracked(server);
  return { origin, exchanges, credentialsOf: (x) => creds.get(x) ?? { authorization: undefined, xApiKey: undefined }, close };
}

/* ------------------------------------------------------------------------------------------------ */

/** How Claude Code gets the gateway's address and token. */
export type ClaudeAuth =
  /** `ANTHROPIC_AUTH_TOKEN` in the environment (Claude Code sends `Authorization: Bearer <token>`). */
  | { kind: 'auth-token'; token: string }
  /** `ANTHROPIC_API_KEY` in the environment (Claude Code sends `x-api-key: <token>`). */
  | { kind: 'api-key'; token: string }
  /**
   * No gateway variable in the environment: `<home>/.claude/settings.json` has `env` (base URL, models,
   * the offline switches) and `apiKeyHelper` = `cat '<tokenFile>'` (the file must hold the token, 0600).
   */
  | { kind: 'settings'; tokenFile: string };

/** Options of {@link runClaude}. */
export interface ClaudeRunOptions {
  /** `HOME` of the run (the config dir is `<home>/.claude`, created if missing). */
  home: string;
  /** Working directory (Bash commands run here). */
  workspace: string;
  /** `TMPDIR` [home]. */
  tmpDir?: string;
  /** Where the model requests go: an origin such as `http://127.0.0.1:PORT` (no `/v1`). */
  baseUrl: string;
  /** `ANTHROPIC_MODEL`: the alias of the main model. */
  model: string;
  /** The alias for the tier variables `ANTHROPIC_DEFAULT_{HAIKU,SONNET,OPUS}_MODEL` [model]. */
  tierModel?: string;
  auth: ClaudeAuth;
  prompt: string;
  /** `--allowedTools` values (e.g. `['Bash']`) [none: tools that need permission are refused]. */
  allowedTools?: string[];
  /** More arguments (before the prompt). */
  args?: string[];
  /** Extra environment (applied last). */
  env?: Record<string, string>;
  /** Hard limit in ms, after which the process group is killed [120000]. */
  timeoutMs?: number;
  /**
   * Put a {@link WireTap} between Claude Code and `baseUrl` (then `ANTHROPIC_BASE_URL` is the tap's origin)
   * and return what passed in {@link ClaudeResult.exchanges} [true].
   */
  tap?: boolean;
  /**
   * `CLAUDE_CODE_MAX_RETRIES` [2]: Claude Code's own retries of a failed request (its default, 10 with
   * exponential backoff, turns a broken answer into minutes of waiting). Its re-sends of a request a
   * server rejected with 400 (fewer betas, expanded deferred tools) are not counted here.
   */
  maxRetries?: number;
}

/** One line of `--output-format stream-json --verbose` (`system`, `assistant`, `user`, `result`, ...). */
export interface ClaudeEvent {
  type: string;
  subtype?: string;
  message?: { role?: string; model?: string; content?: any[] | string; [k: string]: unknown };
  [k: string]: unknown;
}

/** A tool call Claude Code made (an assistant `tool_use` block). */
export interface ClaudeToolUse {
  id: string;
  name: string;
  input: Record<string, any>;
}

/** A tool result Claude Code sent back (a user `tool_result` block). */
export interface ClaudeToolResult {
  toolUseId: string;
  /** The content as text. */
  output: string;
  isError: boolean;
}

/** An API error Claude Code showed. */
export interface ClaudeApiError {
  text: string;
  error: string | undefined;
  status: number | undefined;
  type: string | undefined;
}

/** What one run produced. */
export interface ClaudeResult {
  /** Exit code, or null when killed. */
  exitCode: number | null;
  /** True when the run hit its timeout and was killed. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** Parsed stream-json events (non-JSON lines are skipped). */
  events: ClaudeEvent[];
  /** The `system` / `init` event (model, tools, apiKeySource, ...), if any. */
  init: ClaudeEvent | undefined;
  /** Text blocks of the assistant messages, in order (API error messages Claude Code synthesises included). */
  texts: string[];
  toolUses: ClaudeToolUse[];
  toolResults: ClaudeToolResult[];
  /** The final `result` event, if any. */
  result: ClaudeEvent | undefined;
  /** The `result` event's text (`result` field), if any. */
  resultText: string | undefined;
  /** True when the `result` event says `is_error` (or there is no result event). */
  isError: boolean;
  /**
   * Error texts: the `result` text when `is_error`, assistant messages Claude Code marks as API errors
   * (`is_api_error_message` / `error`), `system` `api_retry` events, and `error` fields of any event.
   */
  errors: string[];
  /**
   * The API errors Claude Code showed (assistant messages with `is_api_error_message`): its text, its
   * `error` kind (e.g. `model_not_found`), and the HTTP status and Anthropic error type it got.
   */
  apiErrors: ClaudeApiError[];
  /**
   * What Claude Code sent and what it got back, one entry per HTTP request, when the run went through the
   * {@link WireTap} (`tap`, the default); empty otherwise.
   */
  exchanges: WireExchange[];
  /** `system` / `api_retry` events (Claude Code retrying a failed request), in order. */
  retries: ClaudeEvent[];
  /** What reached the egress trap (must stay empty: nothing may leave the machine). */
  egress: string[];
  /** Wall time in ms. */
  durationMs: number;
}

/** A run started by {@link startClaude} that may still be running. */
export interface RunningClaude {
  pid: number | undefined;
  stdout(): string;
  stderr(): string;
  /** Signals the whole process group [SIGKILL]; ignored once it is gone. */
  kill(signal?: NodeJS.Signals): void;
  /** Resolves when the run ends (normally, killed, or timed out); never rejects. */
  done: Promise<ClaudeResult>;
}


/** Single-quotes `s` for a POSIX shell. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The gateway variables of a run: base URL and model aliases (the token is added per auth kind). */
export function gatewayEnv(baseUrl: string, model: string, tierModel = model): Record<string, string> {
  return {
    ANTHROPIC_BASE_URL: baseUrl,
    ANTHROPIC_MODEL: model,
    ANTHROPIC_DEFAULT_HAIKU_MODEL: tierModel,
    ANTHROPIC_DEFAULT_SONNET_MODEL: tierModel,
    ANTHROPIC_DEFAULT_OPUS_MODEL: tierModel,
  };
}

/**
 * The `settings.json` a settings-only run uses (what the VS Code extension will write): `env` with the
 * gateway variables (and the offline switches) and `apiKeyHelper` printing the token file.
 */
export function claudeSettings(baseUrl: string, model: string, tokenFile: string, tierModel = model): Record<string, unknown> {
  return {
    env: { ...gatewayEnv(baseUrl, model, tierModel), ...OFFLINE_ENV },
    apiKeyHelper: `cat ${shellQuote(tokenFile)}`,
  };
}

/**
 * Starts `claude -p` with the options' prompt and auth and returns at once; `opts.timeoutMs` bounds the
 * run. Writes `<home>/.claude/settings.json` first in the settings mode.
 * @throws only if the config dir or settings file cannot be written, or the egress trap cannot listen.
 */
export async function startClaude(opts: ClaudeRunOptions): Promise<RunningClaude> {
  const configDir = join(opts.home, '.claude');
  await mkdir(configDir, { recursive: true, mode: 0o700 });
  const trap = await startEgressTrap();
  let tap: WireTap | undefined;
  try {
    const token = opts.auth.kind === 'settings' ? (await readFile(opts.auth.tokenFile, 'utf8')).trim() : opts.auth.token;
    tap = opts.tap === false ? undefined : await startWireTap(opts.baseUrl, { token });
  } catch (e) {
    await trap.close();
    throw e;
  }
  const baseUrl = tap?.origin ?? opts.baseUrl;
  const loopback = '127.0.0.1,localhost,::1';
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    HOME: opts.home,
    TMPDIR: opts.tmpDir ?? opts.home,
    NO_COLOR: '1',
    // The egress net (see the module doc).
    HTTPS_PROXY: trap.url,
    HTTP_PROXY: trap.url,
    ALL_PROXY: trap.url,
    https_proxy: trap.url,
    http_proxy: trap.url,
    NO_PROXY: loopback,
    no_proxy: loopback,
    CLAUDE_CODE_MAX_RETRIES: String(opts.maxRetries ?? 2),
  };
  if (opts.auth.kind === 'settings') {
    await writeFile(join(configDir, 'settings.json'), `${JSON.stringify(claudeSettings(baseUrl, opts.model, opts.auth.tokenFile, opts.tierModel), null, 2)}\n`, { mode: 0o600 });
  } else {
    Object.assign(env, OFFLINE_ENV, gatewayEnv(baseUrl, opts.model, opts.tierModel), { CLAUDE_CONFIG_DIR: configDir });
    if (opts.auth.kind === 'auth-token') env.ANTHROPIC_AUTH_TOKEN = opts.auth.token;
    else env.ANTHROPIC_API_KEY = opts.auth.token;
  }
  Object.assign(env, opts.env ?? {});

  const args = [
    '-p',
    '--output-format',
    'stream-json',
    '--verbose',
    '--no-session-persistence',
    '--strict-mcp-config',
    ...(opts.allowedTools?.length ? ['--allowedTools', opts.allowedTools.join(',')] : []),
    ...(opts.args ?? []),
    '--',
    opts.prompt,
  ];
  const started = Date.now();
  // Commands Claude Code started share its process group; spawnGroup makes sure none outlives the run.
  const run = spawnGroup(CLAUDE_BIN, args, { cwd: opts.workspace, env, timeoutMs: opts.timeoutMs ?? 120_000 });
  const done = (async (): Promise<ClaudeResult> => {
    const { exitCode, timedOut } = await run.exited;
    await trap.close();
    await tap?.close();
    return resultOf(exitCode, timedOut, run.stdout(), run.stderr(), trap.attempts.slice(), tap?.exchanges.slice() ?? [], Date.now() - started);
  })();
  return { pid: run.pid, stdout: run.stdout, stderr: run.stderr, kill: (signal = 'SIGKILL') => run.kill(signal), done };
}

/** Runs `claude -p` to the end ({@link startClaude}); never rejects for a failing run: inspect the result. */
export async function runClaude(opts: ClaudeRunOptions): Promise<ClaudeResult> {
  return (await startClaude(opts)).done;
}

/** Text of tool_result content (a string or blocks with `text`). */
function contentText(c: unknown): string {
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((b: any) => (typeof b?.text === 'string' ? b.text : '')).join('');
  return '';
}

/** Parses the stream-json output of a finished run into a {@link ClaudeResult}. */
export function resultOf(exitCode: number | null, timedOut: boolean, stdout: string, stderr: string, egress: string[], exchanges: WireExchange[], durationMs: number): ClaudeResult {
  const events: ClaudeEvent[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      events.push(JSON.parse(line) as ClaudeEvent);
    } catch {
      // not an event line
    }
  }
  const texts: string[] = [];
  const toolUses: ClaudeToolUse[] = [];
  const toolResults: ClaudeToolResult[] = [];
  const errors: string[] = [];
  const retries: ClaudeEvent[] = [];
  const apiErrors: ClaudeApiError[] = [];
  for (const e of events) {
    const content = Array.isArray(e.message?.content) ? e.message!.content : typeof e.message?.content === 'string' ? [{ type: 'text', text: e.message.content }] : [];
    if (e.type === 'assistant') {
      const apiError = e.is_api_error_message === true || e.error !== undefined;
      for (const b of content) {
        if (b?.type === 'text' && typeof b.text === 'string') {
          texts.push(b.text);
          if (apiError) errors.push(b.text);
        } else if (b?.type === 'tool_use') toolUses.push({ id: String(b.id), name: String(b.name), input: b.input ?? {} });
      }
      if (apiError) {
        apiErrors.push({
          text: content.map((b: any) => (typeof b?.text === 'string' ? b.text : '')).join(''),
          error: typeof e.error === 'string' ? e.error : undefined,
          status: typeof e.api_error_status === 'number' ? e.api_error_status : undefined,
          type: typeof e.api_error_type === 'string' ? e.api_error_type : undefined,
        });
      }
    } else if (e.type === 'user') {
      for (const b of content) if (b?.type === 'tool_result') toolResults.push({ toolUseId: String(b.tool_use_id), output: contentText(b.content), isError: b.is_error === true });
    } else if (e.type === 'system' && e.subtype === 'api_retry') {
      retries.push(e);
      errors.push(`api_retry: ${JSON.stringify({ attempt: e.attempt, status: e.error_status, error: e.error })}`);
    }
    if (e.type !== 'assistant' && typeof e.error === 'string' && !(e.type === 'system' && e.subtype === 'api_retry')) errors.push(e.error);
  }
  const result = [...events].reverse().find((e) => e.type === 'result');
  const resultText = typeof result?.result === 'string' ? result.result : undefined;
  const isError = result === undefined || result.is_error === true;
  if (result?.is_error === true) {
    if (resultText) errors.push(resultText);
    if (Array.isArray(result.errors)) for (const x of result.errors) errors.push(typeof x === 'string' ? x : JSON.stringify(x));
  }
  const init = events.find((e) => e.type === 'system' && e.subtype === 'init');
  return { exitCode, timedOut, stdout, stderr, events, init, texts, toolUses, toolResults, result, resultText, isError, errors, apiErrors, retries, exchanges, egress, durationMs };
}

/** One event, compacted for a failure message. */
function describeEvent(e: ClaudeEvent): string {
  if (e.type === 'system' && e.subtype === 'init') return JSON.stringify({ type: e.type, subtype: e.subtype, model: e.model, apiKeySource: e.apiKeySource, cwd: e.cwd });
  if (e.type === 'result')
    return JSON.stringify({ type: e.type, subtype: e.subtype, is_error: e.is_error, result: e.result, api_error_status: e.api_error_status, api_error_type: e.api_error_type, terminal_reason: e.terminal_reason, num_turns: e.num_turns, errors: e.errors });
  if (e.type === 'assistant' || e.type === 'user') {
    const content = Array.isArray(e.message?.content) ? e.message!.content : [];
    const blocks = content.map((b: any) =>
      b?.type === 'text' ? { text: b.text } : b?.type === 'tool_use' ? { tool_use: b.id, name: b.name, input: b.input } : b?.type === 'tool_result' ? { tool_result: b.tool_use_id, is_error: b.is_error, content: String(contentText(b.content)).slice(0, 300) } : { [b?.type ?? '?']: '…' },
    );
    const err = e.is_api_error_message ? { error: e.error, api_error_status: e.api_error_status, api_error_type: e.api_error_type } : {};
    return JSON.stringify({ type: e.type, model: e.message?.model, ...err, content: blocks }).slice(0, 1200);
  }
  return JSON.stringify(e).slice(0, 400);
}

/** Summarises a run for assertion messages: events (compacted), stderr tail, egress attempts. */
export function describeClaudeRun(r: ClaudeResult): string {
  const ev = r.events.filter((e) => !(e.type === 'system' && e.subtype === 'thinking_tokens')).map(describeEvent);
  return (
    `exit=${r.exitCode} timedOut=${r.timedOut} ${r.durationMs} ms egress=${JSON.stringify(r.egress)}\n--- events ---\n${ev.join('\n')}\n` +
    `--- stdout (non-JSON tail) ---\n${r.stdout.split('\n').filter((l) => l && !l.startsWith('{')).join('\n').slice(-1500)}\n--- stderr (tail) ---\n${r.stderr.slice(-3000)}`
  );
}
