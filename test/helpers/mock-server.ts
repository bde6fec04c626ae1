/**
 * Plumbing shared by the local mock upstreams ({@link ./mock-upstream}, {@link ./anthropic-mock}): a loopback HTTP
 * server, recording each request, and waiting until N requests arrived. Only plumbing lives here: each mock keeps
 * its own copy of its API's rules (paths, auth, validation, error shapes).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The fields every mock records about a request. */
export interface BaseRecordedRequest {
  /** HTTP method, upper case. */
  method: string;
  /** Path without query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** Query parameters (last value wins). */
  query: Record<string, string>;
  /** Request headers, names lower-cased (Node's `IncomingMessage.headers`, arrays joined with ", "). */
  headers: Record<string, string>;
  /** Parsed JSON body, the raw text if it is not JSON, or undefined when empty. */
  body: any;
  /** True once the client closed the connection before the reply finished (abort / timeout). */
  aborted: boolean;
  /** Time the request head arrived (ms since epoch). */
  receivedAt: number;
}

/**
 * Starts an HTTP server on 127.0.0.1 with an OS-assigned port. Attach the `request` handler after it resolves
 * (nobody knows the port before). Timeouts keep a test from hanging on a forgotten connection.
 * @param requestTimeoutMs the server's `requestTimeout`, in ms (headers 30 s, keep-alive 5 s).
 * @returns the listening server and its origin `http://127.0.0.1:PORT`.
 * @throws (rejects) the listen error when no port can be bound.
 */
export function listenLoopback(requestTimeoutMs: number): Promise<{ server: http.Server; origin: string }> {
  const server = http.createServer();
  server.requestTimeout = requestTimeoutMs;
  server.headersTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    });
  });
}

/** Stops listening and destroys every open socket (hung replies included). Never rejects. */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * Records one request: the common fields plus `extra`, with `aborted` kept up to date when the client leaves
 * before the reply finished. Reads the whole body (JSON-parsed when it parses); a body cut short marks it aborted.
 * @returns the record (the same object the close hook updates).
 */
export async function recordRequest<R extends BaseRecordedRequest>(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  origin: string,
  extra: Omit<R, keyof BaseRecordedRequest>,
): Promise<R> {
  const url = new URL(req.url ?? '/', origin);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  const rec = {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    body: undefined,
    aborted: false,
    receivedAt: Date.now(),
    ...extra,
  } as R;
  res.on('close', () => {
    if (!res.writableFinished) rec.aborted = true;
  });
  try {
    rec.body = await readBody(req);
  } catch {
    rec.aborted = true;
  }
  return rec;
}

/** The requests a mock received, in arrival order, and waiting until enough arrived. */
export class RequestLog<R> {
  /** Every request added, in arrival order. */
  readonly requests: R[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];

  /** Appends a request and wakes the waiters it satisfies. */
  add(rec: R): void {
    this.requests.push(rec);
    const ready = this.waiters.filter((w) => this.requests.length >= w.n);
    this.waiters = this.waiters.filter((w) => this.requests.length < w.n);
    for (const w of ready) w.resolve();
  }

  /**
   * Resolves once at least `n` requests were added.
   * @param label names the mock in the timeout message.
   * @throws Error (rejects) after `timeoutMs` ms: `<label>: expected <n> requests within <timeoutMs> ms, got <k>`.
   */
  waitFor(n: number, timeoutMs: number, label: string): Promise<void> {
    if (this.requests.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = { n, resolve: () => (clearTimeout(timer), resolve()) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`${label}: expected ${n} requests within ${timeoutMs} ms, got ${this.requests.length}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }
}

/** The whole body: parsed JSON, the raw text when it is not JSON, undefined when empty. @throws (rejects) when cut short. */
function readBody(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('aborted')));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        resolve(text);
      }
    });
  });
}
