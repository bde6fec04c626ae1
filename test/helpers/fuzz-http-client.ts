/**
 * A raw HTTP/1.1 client for the HTTP fuzzer (test/integration/fuzz-http.test.ts): writes exactly the bytes
 * it is given (broken framing included) to 127.0.0.1 and parses what comes back, with a time bound. Node's
 * own clients refuse to send most of what the fuzzer needs (bad methods, duplicate or conflicting framing
 * headers, invalid header bytes).
 */
import * as net from 'node:net';

/** One parsed HTTP response. */
export interface RawResponse {
  /** Status code (interim 1xx responses are skipped). */
  status: number;
  /** Header names lower-cased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The body, de-chunked (empty for HEAD and for 204/304). */
  body: Buffer;
}

/** What one exchange produced. */
export interface RawExchange {
  /** Complete responses, in order. */
  responses: RawResponse[];
  /** True when the time bound passed before the expected responses (or the close) arrived. */
  timedOut: boolean;
  /** True when the server closed the connection. */
  closed: boolean;
  /** Socket error code, if any (ECONNRESET, EPIPE, ...). */
  error?: string;
  /** Time until the exchange ended, in ms. */
  ms: number;
}

/** Options of {@link exchange}. */
export interface ExchangeOptions {
  /** Half-close the connection (send FIN) after writing, as a client that gives up sending does. */
  halfClose?: boolean;
  /** Methods of the requests sent, in order (a HEAD response has no body). Default GET. */
  methods?: string[];
  /** Number of responses to wait for (pipelined requests). Default 1. */
  expect?: number;
  /** Time bound in ms (default 10000). */
  timeoutMs?: number;
}

/**
 * Sends `bytes` on a new connection to 127.0.0.1:`port` and reads responses until `expect` complete ones
 * arrived, the server closed the connection, or the time bound passed. The connection is then destroyed.
 * Never rejects.
 */
export function exchange(port: number, bytes: Buffer, opts: ExchangeOptions = {}): Promise<RawExchange> {
  const expect = opts.expect ?? 1;
  const methods = opts.methods ?? [];
  const t0 = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let buf: Buffer = Buffer.alloc(0);
    let settled = false;
    let closed = false;
    let error: string | undefined;
    const finish = (timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const { responses } = parseResponses(buf, methods, closed);
      resolve({ responses, timedOut, closed, error, ms: Date.now() - t0 });
    };
    const timer = setTimeout(() => finish(true), opts.timeoutMs ?? 10_000);
    socket.on('data', (d: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      if (parseResponses(buf, methods, false).responses.length >= expect) finish(false);
    });
    socket.on('end', () => {
      closed = true;
      finish(false);
    });
    socket.on('close', () => {
      closed = true;
      finish(false);
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    socket.write(bytes, () => {
      if (opts.halfClose) socket.end();
    });
  });
}

/**
 * Parses as many complete responses as `buf` holds. A response without Content-Length or chunked encoding
 * is complete only once the connection closed (`closed`).
 */
export function parseResponses(buf: Buffer, methods: string[], closed: boolean): { responses: RawResponse[] } {
  const responses: RawResponse[] = [];
  let pos = 0;
  for (;;) {
    const headEnd = buf.indexOf('\r\n\r\n', pos);
    if (headEnd < 0) break;
    const head = buf.subarray(pos, headEnd).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0]);
    if (!m) break;
    const status = Number(m[1]);
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const k = line.slice(0, i).trim().toLowerCase();
      const v = line.slice(i + 1).trim();
      headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
    }
    let bodyStart = headEnd + 4;
    if (status >= 100 && status < 200) {
      pos = bodyStart; // interim response (100 Continue)
      continue;
    }
    const method = methods[responses.length] ?? 'GET';
    let body: Buffer;
    if (method === 'HEAD' || status === 204 || status === 304) {
      body = Buffer.alloc(0);
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const chunks: Buffer[] = [];
      let p = bodyStart;
      let done = false;
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', p);
        if (lineEnd < 0) break;
        const size = parseInt(buf.subarray(p, lineEnd).toString('latin1'), 16);
        if (Number.isNaN(size)) break;
        if (size === 0) {
          const trailerEnd = buf.indexOf('\r\n\r\n', lineEnd);
          if (trailerEnd < 0) break;
          p = trailerEnd + 4;
          done = true;
          break;
        }
        if (buf.length < lineEnd + 2 + size + 2) break;
        chunks.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
        p = lineEnd + 2 + size + 2;
      }
      if (!done) break;
      body = Buffer.concat(chunks);
      bodyStart = p;
      responses.push({ status, headers, body });
      pos = bodyStart;
      continue;
    } else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      if (buf.length < bodyStart + n) break;
      body = buf.subarray(bodyStart, bodyStart + n);
      bodyStart += n;
    } else {
      if (!closed) break;
      body = buf.subarray(bodyStart);
      bodyStart = buf.length;
    }
    responses.push({ status, headers, body });
    pos = bodyStart;
  }
  return { responses };
}

/**
 * The bytes of one HTTP/1.1 request: request line, headers in the given order (written as given, even when
 * invalid), a blank line, and the body. No header is added.
 */
export function rawRequest(method: string, target: string, headers: ReadonlyArray<readonly [string, string]>, body?: Buffer | string, version = 'HTTP/1.1'): Buffer {
  let head = `${method} ${target} ${version}\r\n`;
  for (const [k, v] of headers) head += `${k}: ${v}\r\n`;
  head += '\r\n';
  const b = body === undefined ? Buffer.alloc(0) : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return Buffer.concat([Buffer.from(head, 'latin1'), b]);
}

/** A request for a failure message: the first `max` bytes as latin1 text, with bearer tokens masked. */
export function describeRequest(bytes: Buffer, max = 400): string {
  const text = bytes.subarray(0, max).toString('latin1').replace(/(authorization:\s*\S+\s+)\S+/gi, '$1***');
  return JSON.stringify(text) + (bytes.length > max ? ` (+${bytes.length - max} bytes)` : '');
}
