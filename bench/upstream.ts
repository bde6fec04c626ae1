/**
 * Mock upstream for the benchmark: Chat Completions and Anthropic Messages, run in its own process with
 * `BENCH_UPSTREAM_KEY` set (bench/run.ts bundles it with esbuild and runs it on plain node;
 * `node --import tsx bench/upstream.ts` works too). It listens on 127.0.0.1 on a free port and prints
 * `BENCH_LISTENING <port>` on stdout when ready.
 *
 * Kept as small as possible so it is never the bottleneck: every answer is a precomputed Buffer, and both
 * wires answer the same text (first token `BENCH0`, the marker the bench looks for to time the first
 * token, then 10 more tokens), so their rows compare.
 * - `POST .../chat/completions` with a body containing `"stream":true`: an SSE stream in the Chat
 *   Completions chunk format (OpenAI API reference, "The chat completion chunk object"): a role chunk with
 *   the first text token, more content chunks, a `finish_reason` chunk, a usage chunk, then
 *   `data: [DONE]`. The first chunk goes out with the headers; the rest follows in the same tick.
 * - `POST .../chat/completions` otherwise: one `chat.completion` JSON object.
 *   Wrong or missing `Authorization: Bearer $BENCH_UPSTREAM_KEY`: 401 (so a target that mangles the key
 *   shows up as errors in the bench, not as fast answers).
 * - `POST /v1/messages` (Anthropic Messages; Anthropic API reference, "Messages" and "Streaming
 *   Messages"), streamed when the body has `"stream":true`: `event: <type>` + `data: <json>` frames
 *   `message_start` (the message shell with input usage), `ping`, `content_block_start` (text),
 *   `content_block_delta` (`text_delta`) with the first token — all four in the first write, with the
 *   headers — then 10 more `text_delta`s, `content_block_stop`, `message_delta` (`stop_reason: end_turn`,
 *   cumulative usage) and `message_stop`, in the same tick. Otherwise one `message` JSON object
 *   (`type: "message"`, one text block, `stop_reason`, `usage`). Auth as Anthropic: `x-api-key:
 *   $BENCH_UPSTREAM_KEY` (else 401 `authentication_error`) and an `anthropic-version` header (else 400
 *   `invalid_request_error`), in Anthropic's error shape.
 * - `GET /last-request`: the last chat or messages body received (the bench uses it to replay, directly,
 *   exactly the body the gateway sent upstream).
 * - `GET /stats`: `{"connections": N, "requests": M, "held": H}`: TCP connections that carried chat or
 *   messages requests, such requests answered, since start (a client that reuses its keep-alive
 *   connections opens only about as many connections as it has requests in flight), and streams held open
 *   now (below).
 * - Held streams (the open-streams memory rows): a streamed request for model `bench-hold`
 *   (`"model":"bench-hold"` in the body) gets its headers and first chunk at once, then stays open until
 *   `POST /release`, which ends every held stream with the rest of the answer and replies
 *   `{"released": N}`.
 * - `BENCH_UPSTREAM_PORTS=N` (default 1): listens on N ports (all on 127.0.0.1), so a client can reach
 *   it as N different origins (an HTTP client pools connections per origin); prints `BENCH_PORTS p1,p2,...`
 *   before `BENCH_LISTENING <p1>`.
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

/** The same answer on the Anthropic Messages wire (see the module notes). */
const MSG_ID = 'msg_bench';
const MSG_USAGE_START = { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 };
const MSG_USAGE_END = { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 11 };
const MSG_JSON_BODY = Buffer.from(
  JSON.stringify({
    id: MSG_ID,
    type: 'message',
    role: 'assistant',
    model: 'bench-model',
    content: [{ type: 'text', text: 'BENCH0 hello from the mock upstream, a short answer.' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: MSG_USAGE_END,
  }),
);
const MSG_JSON_HEADERS = { 'content-type': 'application/json', 'content-length': String(MSG_JSON_BODY.length) };
/** One SSE frame as Anthropic writes it: `event:` equal to the data's `type`. */
const msgEvent = (data: { type: string } & Record<string, unknown>) => `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
const textDelta = (text: string) => msgEvent({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
const MSG_SSE_FIRST = Buffer.from(
  msgEvent({ type: 'message_start', message: { id: MSG_ID, type: 'message', role: 'assistant', model: 'bench-model', content: [], stop_reason: null, stop_sequence: null, usage: MSG_USAGE_START } }) +
    msgEvent({ type: 'ping' }) +
    msgEvent({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }) +
    textDelta('BENCH0'),
);
const MSG_SSE_REST = Buffer.from(
  WORDS.map(textDelta).join('') +
    msgEvent({ type: 'content_block_stop', index: 0 }) +
    msgEvent({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: MSG_USAGE_END }) +
    msgEvent({ type: 'message_stop' }),
);
const MSG_SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };
const anthropicError = (type: string, message: string) => JSON.stringify({ type: 'error', error: { type, message } });
const MSG_UNAUTHORIZED = anthropicError('authentication_error', 'bench upstream: invalid x-api-key');
const MSG_NO_VERSION = anthropicError('invalid_request_error', 'anthropic-version: header is required');

let lastBody: Buffer = Buffer.alloc(0);
/** Held streams and the rest of their answer (chat or messages). */
const held = new Map<ServerResponse, Buffer>();
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
    res.end(JSON.stringify({ connections, requests, held: held.size }));
    return;
  }
  if (req.url === '/release' && req.method === 'POST') {
    const n = held.size;
    for (const [r, rest] of held) r.end(rest);
    held.clear();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ released: n }));
    return;
  }
  const messages = req.method === 'POST' && req.url === '/v1/messages';
  if (!messages && (req.method !== 'POST' || !req.url?.endsWith('/chat/completions'))) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":{"message":"bench upstream: only POST /v1/chat/completions and POST /v1/messages"}}');
    return;
  }
  if (messages ? req.headers['x-api-key'] !== key : req.headers.authorization !== expectedAuth) {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(messages ? MSG_UNAUTHORIZED : UNAUTHORIZED);
    return;
  }
  if (messages && !req.headers['anthropic-version']) {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(MSG_NO_VERSION);
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
    const [first, rest] = messages ? [MSG_SSE_FIRST, MSG_SSE_REST] : [SSE_FIRST, SSE_REST];
    res.writeHead(200, messages ? MSG_SSE_HEADERS : SSE_HEADERS);
    res.write(first);
    if (body.includes('"model":"bench-hold"')) {
      held.set(res, rest);
      res.once('close', () => held.delete(res));
      return;
    }
    res.end(rest);
  } else if (messages) {
    res.writeHead(200, MSG_JSON_HEADERS);
    res.end(MSG_JSON_BODY);
  } else {
    res.writeHead(200, JSON_HEADERS);
    res.end(JSON_BODY);
  }
}

function handler(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => answer(req, res, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
}

function listen(): Promise<number> {
  const server = createServer(handler);
  // Longer than any client pool's idle time, so pooled sockets are never closed under a client's feet.
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    }),
  );
}

const portCount = Math.max(1, Number(process.env.BENCH_UPSTREAM_PORTS ?? 1) || 1);
void Promise.all(Array.from({ length: portCount }, listen)).then((ports) => {
  if (portCount > 1) process.stdout.write(`BENCH_PORTS ${ports.join(',')}\n`);
  process.stdout.write(`BENCH_LISTENING ${ports[0]}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
