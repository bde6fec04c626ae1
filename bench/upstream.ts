/**
 * Mock Chat Completions upstream for the benchmark, run in its own process with `BENCH_UPSTREAM_KEY` set
 * (bench/run.ts bundles it with esbuild and runs it on plain node; `node --import tsx bench/upstream.ts`
 * works too). It listens on 127.0.0.1 on a free port and prints `BENCH_LISTENING <port>` on stdout when
 * ready.
 *
 * Kept as small as possible so it is never the bottleneck: every answer is a precomputed Buffer.
 * - `POST .../chat/completions` with a body containing `"stream":true`: an SSE stream in the Chat
 *   Completions chunk format (OpenAI API reference, "The chat completion chunk object"): a role chunk with
 *   the first text token (`BENCH0`, the marker the bench looks for to time the first token), more content
 *   chunks, a `finish_reason` chunk, a usage chunk, then `data: [DONE]`. The first chunk goes out with the
 *   headers; the rest follows in the same tick.
 * - `POST .../chat/completions` otherwise: one `chat.completion` JSON object.
 * - Wrong or missing `Authorization: Bearer $BENCH_UPSTREAM_KEY`: 401 (so a target that mangles the key
 *   shows up as errors in the bench, not as fast answers).
 * - `GET /last-request`: the last chat body received (the bench uses it to replay, directly, exactly the
 *   body the gateway sent upstream).
 * - `GET /stats`: `{"connections": N, "requests": M}`: TCP connections that carried chat requests, and chat
 *   requests answered, since start (a client that reuses its keep-alive connections opens only about as
 *   many connections as it has requests in flight).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

const key = process.env.BENCH_UPSTREAM_KEY;
if (!key) {
  process.stderr.write('bench/upstream.ts: set BENCH_UPSTREAM_KEY (any generated token).\n');
  process.exit(2);
}
const expectedAuth = `Bearer ${key}`;

const CREATED = 1_700_000_000;
const JSON_BODY = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: CREATED,
    model: 'bench-model',
    choices: [{ index: 0, message: { role: 'assistant', content: 'BENCH0 hello from the mock upstream, a short answer.' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 12, completion_tokens: 11, total_tokens: 23 },
  }),
);
const JSON_HEADERS = { 'content-type': 'application/json', 'content-length': String(JSON_BODY.length) };

function chunk(delta: Record<string, unknown>, finish: string | null, usage?: Record<string, number>): string {
  const c: Record<string, unknown> = {
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: CREATED,
    model: 'bench-model',
    choices: usage ? [] : [{ index: 0, delta, finish_reason: finish }],
  };
  if (usage) c.usage = usage;
  return `data: ${JSON.stringify(c)}\n\n`;
}
const WORDS = [' hello', ' from', ' the', ' mock', ' upstream,', ' a', ' short', ' streamed', ' answer', '.'];
const SSE_FIRST = Buffer.from(chunk({ role: 'assistant', content: 'BENCH0' }, null));
const SSE_REST = Buffer.from(
  WORDS.map((w) => chunk({ content: w }, null)).join('') +
    chunk({}, 'stop') +
    chunk({}, null, { prompt_tokens: 12, completion_tokens: 11, total_tokens: 23 }) +
    'data: [DONE]\n\n',
);
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
const UNAUTHORIZED = JSON.stringify({ error: { message: 'bench upstream: wrong key', type: 'invalid_request_error', code: 'invalid_api_key' } });

let lastBody: Buffer = Buffer.alloc(0);
let connections = 0;
let requests = 0;
const seen = new WeakSet<object>();

function answer(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  if (req.url === '/last-request') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(lastBody.length) });
    res.end(lastBody);
    return;
  }
  if (req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ connections, requests }));
    return;
  }
  if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":{"message":"bench upstream: only POST /v1/chat/completions"}}');
    return;
  }
  if (req.headers.authorization !== expectedAuth) {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(UNAUTHORIZED);
    return;
  }
  lastBody = body;
  requests++;
  if (!seen.has(req.socket)) {
    seen.add(req.socket);
    connections++;
  }
  // Every client in the bench serialises JSON without spaces, so this test is exact and cheap.
  if (body.includes('"stream":true')) {
    res.writeHead(200, SSE_HEADERS);
    res.write(SSE_FIRST);
    res.end(SSE_REST);
  } else {
    res.writeHead(200, JSON_HEADERS);
    res.end(JSON_BODY);
  }
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => answer(req, res, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
});
// Longer than any client pool's idle time, so pooled sockets are never closed under a client's feet.
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`BENCH_LISTENING ${typeof a === 'object' && a ? a.port : 0}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
