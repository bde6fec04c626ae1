/**
 * What Codex shows when the gateway is not running: a tiny, short-lived HTTP server on the gateway's own
 * address that answers Codex's next request with an explanation, then exits.
 *
 * Why a server (measured with the real Codex CLI 0.169.0, docs/codex.md "When the gateway is not running"):
 * with nothing listening, the TUI and the IDE extension show only "Reconnecting... waiting for network
 * (Connection failed: error sending request)" and keep retrying; the auth command's stderr reaches only
 * Codex's log (and the terminal of `codex exec`), never the TUI or the IDE. The one text Codex shows verbatim
 * is the answer to its request: a streamed `response.failed` with code `invalid_prompt` ends the turn at once
 * with `error.message` as the visible error (docs/codex.md, "Errors as Codex shows them").
 *
 * Codex's auth command (auth-helper.ts) starts this server only when a TCP connect to the gateway's port is
 * refused, right before Codex sends its request there. To give the port back quickly, the server stops
 * listening after it has answered one `POST …/responses`, after {@link NOTICE_IDLE_MS} without a request, and
 * after {@link NOTICE_MAX_MS} at most; connections still open {@link NOTICE_CLOSE_GRACE_MS} after it stopped
 * listening are closed, so a client that never finishes its request cannot keep it (and the process awaiting
 * `closed`) alive. `POST` {@link NOTICE_QUIT_PATH} stops it at once (`codex-gateway serve` uses that when it
 * finds the port held by a notice). It binds only the loopback address it was given and
 * never reads or logs request headers (Codex sends no token to it: the auth command failed).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** Header on every answer of the notice server, so a probe can tell it from a real gateway. */
export const NOTICE_HEADER = 'x-codex-gateway-notice';
/** `POST` here stops the notice server at once (no body, no auth: it only ever frees the port). */
export const NOTICE_QUIT_PATH = '/__codex-gateway/notice/quit';
/** The notice server exits after this many ms without a request (Codex sends its request within ms). */
export const NOTICE_IDLE_MS = 5_000;
/** The notice server never lives longer than this, in ms. */
export const NOTICE_MAX_MS = 30_000;

/**
 * Once it stops listening, connections still open after this many ms are closed (a client that sends half a
 * request, or nothing, must not keep the auth command's process alive), in ms.
 */
export const NOTICE_CLOSE_GRACE_MS = 1_000;

/** Inputs of {@link gatewayAbsentMessage}. */
export interface AbsentMessageOptions {
  /** The address Codex's config points at, e.g. `127.0.0.1`. */
  host: string;
  port: number;
  /** The config file `codex-gateway codex-config` was given, named in the `serve` hint when known. */
  configPath?: string;
}

/**
 * The explanation Codex shows when nothing listens on the gateway's port: what happened, and the three ways
 * on (start it from VS Code, start it from a terminal, or stop routing Codex through it).
 */
export function gatewayAbsentMessage(opts: AbsentMessageOptions): string {
  const serve = `codex-gateway serve --config ${opts.configPath ?? '<your config.yaml>'} --port ${opts.port}`;
  return (
    `Codex Gateway is not running: nothing listens on ${opts.host}:${opts.port}, where Codex's config.toml ` +
    `(model_provider = "codex-gateway") sends requests. Start it, then send your message again: open VS Code ` +
    `with the Codex Gateway extension enabled (it runs the gateway), or run \`${serve}\` in a terminal. ` +
    `To use Codex without the gateway, run "Codex Gateway: Restore Codex Config" from VS Code's command ` +
    `palette, or remove model_provider = "codex-gateway" from ~/.codex/config.toml.`
  );
}

/** A running notice server. */
export interface NoticeServer {
  /** Resolves when the server has stopped listening and its last answer is sent. */
  closed: Promise<void>;
  /** Stops it now. */
  close(): void;
}

/** Encodes the one SSE event Codex turns into a visible, non-retried error. */
function failedEvent(message: string, model: unknown): string {
  const response = {
    id: 'resp_codex_gateway_not_running',
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: 'failed',
    model: typeof model === 'string' ? model : 'unknown',
    output: [],
    error: { code: 'invalid_prompt', message },
  };
  return `event: response.failed\ndata: ${JSON.stringify({ type: 'response.failed', sequence_number: 0, response })}\n\n`;
}

/** Reads a request body (bounded to 16 MB; the rest is discarded), as text. */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 16 << 20) chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(''));
  });
}

/**
 * Listens on `host:port` and answers every request with the explanation: `POST …/responses` with a 200 SSE
 * `response.failed` (`invalid_prompt`), anything else with a 503 JSON error in OpenAI's shape.
 * @param opts.idleMs / opts.maxMs lifetime bounds in ms (defaults {@link NOTICE_IDLE_MS}, {@link NOTICE_MAX_MS}).
 * @returns the server once it listens, or `'busy'` when the port is taken (the gateway, or another notice,
 *   got there first).
 * @throws listen errors other than EADDRINUSE.
 */
export async function serveAbsentNotice(opts: { host: string; port: number; message: string; idleMs?: number; maxMs?: number }): Promise<NoticeServer | 'busy'> {
  const idleMs = opts.idleMs ?? NOTICE_IDLE_MS;
  let idle: NodeJS.Timeout | undefined;
  let stopping = false;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  const server = createServer({ requireHostHeader: false });
  const close = () => {
    if (stopping) return;
    stopping = true;
    clearTimeout(idle);
    clearTimeout(max);
    // Answers in flight get a moment to finish; then every connection still open is closed.
    const force = setTimeout(() => server.closeAllConnections(), Math.min(NOTICE_CLOSE_GRACE_MS, opts.maxMs ?? NOTICE_MAX_MS));
    server.close(() => {
      clearTimeout(force);
      resolveClosed();
    });
    server.closeIdleConnections();
  };
  const arm = () => {
    clearTimeout(idle);
    idle = setTimeout(close, idleMs);
  };
  const max = setTimeout(() => {
    close();
    server.closeAllConnections();
  }, opts.maxMs ?? NOTICE_MAX_MS);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    clearTimeout(idle);
    void readBody(req).then((body) => {
      const path = (req.url ?? '/').split('?')[0];
      res.setHeader(NOTICE_HEADER, 'gateway-not-running');
      res.setHeader('connection', 'close');
      if (req.method === 'POST' && path === NOTICE_QUIT_PATH) {
        res.writeHead(204).end();
        close();
        return;
      }
      if (req.method === 'POST' && path.endsWith('/responses')) {
        let model: unknown;
        try {
          model = (JSON.parse(body) as { model?: unknown }).model;
        } catch {
          model = undefined;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
        res.end(failedEvent(opts.message, model), close);
        return;
      }
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: opts.message, type: 'service_unavailable', code: 'gateway_not_running' } }), arm);
    });
  });
  const bound = await new Promise<boolean>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? resolve(false) : reject(e)));
    server.listen(opts.port, opts.host, () => resolve(true));
  }).catch((e: unknown) => {
    clearTimeout(max);
    throw e;
  });
  if (!bound) {
    clearTimeout(max);
    return 'busy';
  }
  arm();
  return { closed, close };
}

/**
 * Whether the notice server (not a gateway) answers on `host:port` (a GET it answers with 503 and
 * {@link NOTICE_HEADER}; the gateway answers 401 or 404 without it).
 * @param timeoutMs bound of the probe, in ms.
 */
export async function isAbsentNotice(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  const shown = host.includes(':') ? `[${host}]` : host;
  try {
    const r = await fetch(`http://${shown}:${port}/__codex-gateway/notice`, { signal: AbortSignal.timeout(timeoutMs) });
    await r.arrayBuffer().catch(() => undefined);
    return r.headers.get(NOTICE_HEADER) !== null;
  } catch {
    return false;
  }
}

/**
 * Whether a notice server (not a gateway) answers on `host:port`; when it does, asks it to quit.
 * Used by `codex-gateway serve` when its port is taken.
 * @param timeoutMs bound of the probe, in ms.
 * @returns true when a notice server was there and was asked to quit.
 */
export async function quitAbsentNotice(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  const shown = host.includes(':') ? `[${host}]` : host;
  try {
    const r = await fetch(`http://${shown}:${port}${NOTICE_QUIT_PATH}`, { method: 'POST', signal: AbortSignal.timeout(timeoutMs) });
    await r.arrayBuffer().catch(() => undefined);
    return r.headers.get(NOTICE_HEADER) !== null;
  } catch {
    return false;
  }
}
