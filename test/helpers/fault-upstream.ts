/**
 * A fault-injecting mock upstream for tests: a {@link MockUpstream} (127.0.0.1 only, OpenAI wire formats)
 * whose replies can break in every way a real provider or the network between us and it breaks, and which
 * records, per request, when headers and body bytes were written and when (and by whom) the connection was
 * closed, so tests can check retries (count requests), timeouts and aborts (timing).
 *
 * Wires (one {@link WireCodec} table entry each, {@link WIRES}):
 * - `chat`: OpenAI Chat Completions (`POST …/chat/completions`): JSON `chat.completion`, or SSE
 *   `data: {chat.completion.chunk}` … `finish_reason` … `data: [DONE]`; in-stream errors are
 *   `data: {"error": {...}}` (what OpenAI-compatible servers send).
 * - `responses`: OpenAI Responses (`POST …/responses`): JSON `response`, or SSE `event: <type>` /
 *   `data: {...}` from `response.created` to `response.completed`; in-stream errors are `event: error`
 *   (Responses API streaming event `error`).
 * - `messages`: Anthropic Messages (`POST …/messages`; the codec is `MESSAGES_FAULT_CODEC` of
 *   anthropic-mock.ts): JSON `message`, or SSE from `message_start` to `message_stop`; in-stream errors
 *   are `event: error` with `{"type": "error", "error": {"type", "message"}}`; status errors and 2xx
 *   error objects in that shape with Anthropic's error types (429 `rate_limit_error`, 500 `api_error`,
 *   529 `overloaded_error`, ...); the key is checked in `x-api-key`, and `anthropic-version` is required.
 * - `chatgpt`: the ChatGPT Codex backend (`POST …/backend-api/codex/responses`, a `chatgpt/<model>`
 *   deployment): the Responses stream, whose `response.completed` carries an empty `output` as the real
 *   backend's does (clients rebuild it from `response.output_item.done`); it serves streams only, and
 *   every request must pass the backend's rules first (`chatgptRequestProblem` of chatgpt-backend-mock.ts:
 *   the sign-in's bearer token and `ChatGPT-Account-Id`, `stream: true`, `store: false`, `instructions`, no
 *   field the backend refuses, a plan model), else it gets the backend's `{"detail": ...}` refusal and no
 *   exchange. Two faults exist on this wire only: `usage_limit` (429 `usage_limit_reached` with the reset
 *   time) and `unauthorized` (401).
 *
 * A fault reply adapts to the request it answers: the wire comes from the path, streamed or not from the
 * body's `stream: true`. See {@link FAULTS} for the list and what each does in each mode. Every error text
 * the mock writes (status error bodies, 2xx error objects, in-stream error chunks) quotes the provider key
 * the request carried, so tests can check that the gateway never passes it on.
 *
 * Usage:
 * ```ts
 * const up = await FaultUpstream.start({ name: 'primary', apiKey: key });
 * up.always('http_503');                       // every POST answers 503 …
 * up.enqueue('reset_mid_body', 'healthy');     // … except the next two
 * // point a deployment at up.baseUrl; for "connection refused" use await closedPortUrl()
 * await up.waitForExchanges(2);
 * const x = up.exchanges[0];                   // x.closedBy === 'peer', x.closedAt - x.request.receivedAt …
 * await up.close();
 * ```
 */
import type { ServerResponse } from 'node:http';
import { MESSAGES_FAULT_CODEC } from './anthropic-mock';
import { chatgptRequestProblem, PLAN_MODELS } from './chatgpt-backend-mock';
import { MockUpstream, type RecordedRequest, type Reply } from './mock-upstream';
import { refusingPort } from './net';

/** Upstream wires the fault mock speaks. */
export type FaultWire = 'chat' | 'responses' | 'messages' | 'chatgpt';

/** Whether a request asked for a streamed (SSE) answer or a JSON one. */
export type AnswerMode = 'json' | 'stream';

/** A complete streamed answer of one wire, as SSE frames. */
export interface StreamPlan {
  /** Complete SSE frames (`event:`/`data:` lines ending with a blank line), in order. */
  frames: string[];
  /** The assistant text each frame carries (`''` for frames without text). */
  texts: string[];
  /** Index of the first frame that carries the end of the answer (`finish_reason`, `response.completed`). */
  terminalFrom: number;
  /** Index of the first frame that carries text. */
  firstTextFrame: number;
}

/** How one upstream wire encodes answers and errors. */
export interface WireCodec {
  wire: FaultWire;
  /** Path suffix of the wire's POST endpoint (`/chat/completions`). */
  endpoint: string;
  /** True when the wire serves streams only (`chatgpt`): no fault has a JSON form there. */
  streamOnly?: boolean;
  /** A complete non-streamed answer carrying `text`. */
  json(req: RecordedRequest, text: string): Record<string, unknown>;
  /** A complete streamed answer carrying `text`, cut into deltas of `chunkSize` characters. */
  stream(req: RecordedRequest, text: string, chunkSize: number): StreamPlan;
  /** The in-stream error frame of this wire, carrying `message`. */
  errorFrame(message: string): string;
  /** Frames real upstreams send after an in-stream error (chat: `data: [DONE]`). */
  afterError: string[];
  /**
   * A text-delta frame of this wire whose data is not JSON (`malformed_sse`, and the first event of a
   * streamed `invalid_json`).
   */
  malformedFrame: string;
  /** Member of the JSON answer holding the content, deleted by `json_wrong_shape` (`choices`, `output`, `content`). */
  answerField: string;
  /**
   * Body of an HTTP error answer with `status`, in the wire's error shape; `note` (e.g. `; request made with
   * key …`) is appended to its message.
   */
  statusError(status: number, note: string): Record<string, unknown>;
  /** The error object a broken upstream sends with a 200 status (`error_object_200`), carrying `message`. */
  errorObject(message: string): Record<string, unknown>;
  /**
   * The answer to a request that does not carry `key` the way this wire sends it (`Authorization: Bearer`,
   * or Anthropic's `x-api-key` plus `anthropic-version`), or null when it does. `accountId` is the
   * `ChatGPT-Account-Id` the `chatgpt` wire requires (with its other rules); other wires ignore it.
   */
  rejectAuth(req: RecordedRequest, key: string, accountId?: string): { status: number; body: Record<string, unknown> } | null;
}

let idCounter = 0;
const nextId = (prefix: string) => `${prefix}${Date.now().toString(36)}f${(++idCounter).toString(36)}`;

function pieces(s: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out.length ? out : [''];
}

function modelOf(req: RecordedRequest): string {
  return typeof req.body?.model === 'string' ? req.body.model : 'mock-model';
}

const dataFrame = (data: unknown) => `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

/** An HTTP error body in OpenAI's shape (`{"error": {"message", "type", "param", "code"}}`) for `status`. */
function openaiStatusError(status: number, note: string): Record<string, unknown> {
  const what: Record<number, [string, string, string | null]> = {
    401: ['Your authentication token has expired. Please try signing in again', 'invalid_request_error', 'token_expired'],
    429: ['Rate limit reached for requests', 'requests', 'rate_limit_exceeded'],
    500: ['The server had an error while processing your request', 'server_error', null],
    502: ['Bad gateway', 'server_error', null],
    503: ['The engine is currently overloaded, please try again later', 'server_error', null],
    529: ['Overloaded', 'overloaded_error', null],
  };
  const [msg, type, code] = what[status] ?? ['Upstream error', 'server_error', null];
  return { error: { message: `${msg} (mock upstream, HTTP ${status})${note}.`, type, param: null, code } };
}

/** A 2xx error object in OpenAI's shape. */
function openaiErrorObject(message: string): Record<string, unknown> {
  return { error: { message, type: 'server_error', param: null, code: 'internal_error' } };
}

/** 401 in OpenAI's shape unless the request carries `Authorization: Bearer <key>` (as api.openai.com). */
function openaiRejectAuth(req: RecordedRequest, key: string): { status: number; body: Record<string, unknown> } | null {
  if (req.headers['authorization'] === `Bearer ${key}`) return null;
  return { status: 401, body: { error: { message: 'Incorrect API key provided (mock upstream).', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } } };
}

/** OpenAI Chat Completions (OpenAI API reference: "Create chat completion", "The chat completion chunk object"). */
const CHAT: WireCodec = {
  wire: 'chat',
  endpoint: '/chat/completions',
  json(req, text) {
    return {
      id: nextId('chatcmpl-'),
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: modelOf(req),
      choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 5, completion_tokens: Math.max(1, Math.ceil(text.length / 4)), total_tokens: 5 + Math.max(1, Math.ceil(text.length / 4)) },
    };
  },
  stream(req, text, chunkSize) {
    const base = { id: nextId('chatcmpl-'), object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: modelOf(req), system_fingerprint: null };
    const chunk = (delta: Record<string, unknown>, finish: string | null) => dataFrame({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
    const frames = [chunk({ role: 'assistant', content: '', refusal: null }, null)];
    const texts = [''];
    for (const p of pieces(text, chunkSize)) {
      frames.push(chunk({ content: p }, null));
      texts.push(p);
    }
    const terminalFrom = frames.length;
    frames.push(chunk({}, 'stop'));
    texts.push('');
    if (req.body?.stream_options?.include_usage === true) {
      frames.push(dataFrame({ ...base, choices: [], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } }));
      texts.push('');
    }
    frames.push(dataFrame('[DONE]'));
    texts.push('');
    return { frames, texts, terminalFrom, firstTextFrame: 1 };
  },
  errorFrame(message) {
    return dataFrame({ error: { message, type: 'server_error', param: null, code: 'internal_error' } });
  },
  afterError: [dataFrame('[DONE]')],
  malformedFrame: `data: {"choices": [{"index": 0, "delta": {"content": oops}}]\n\n`,
  answerField: 'choices',
  statusError: openaiStatusError,
  errorObject: openaiErrorObject,
  rejectAuth: openaiRejectAuth,
};

/** OpenAI Responses API (OpenAI API reference: "Create a model response", "Streaming events"). */
const RESPONSES: WireCodec = {
  wire: 'responses',
  endpoint: '/responses',
  json(req, text) {
    return responseObject(req, nextId('resp_'), 'completed', [messageItem(nextId('msg_'), text, 'completed')], true);
  },
  stream(req, text, chunkSize) {
    return responsesStream(req, text, chunkSize, true);
  },
  errorFrame(message) {
    return `event: error\ndata: ${JSON.stringify({ type: 'error', sequence_number: 99, code: 'server_error', message, param: null })}\n\n`;
  },
  afterError: [],
  malformedFrame: `event: response.output_text.delta\ndata: {"type": "response.output_text.delta", "delta": oops\n\n`,
  answerField: 'output',
  statusError: openaiStatusError,
  errorObject: openaiErrorObject,
  rejectAuth: openaiRejectAuth,
};

/**
 * A Responses stream carrying `text` (OpenAI API reference, "Streaming events"); `completedOutput` false
 * leaves `response.completed`'s `output` empty, as the ChatGPT backend does.
 */
function responsesStream(req: RecordedRequest, text: string, chunkSize: number, completedOutput: boolean): StreamPlan {
  const respId = nextId('resp_');
  const msgId = nextId('msg_');
  let seq = 0;
  const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
  const frames = [
    ev('response.created', { response: responseObject(req, respId, 'in_progress', [], false) }),
    ev('response.in_progress', { response: responseObject(req, respId, 'in_progress', [], false) }),
    ev('response.output_item.added', { output_index: 0, item: messageItem(msgId, '', 'in_progress') }),
    ev('response.content_part.added', { item_id: msgId, output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } }),
  ];
  const texts = ['', '', '', ''];
  const firstTextFrame = frames.length;
  for (const p of pieces(text, chunkSize)) {
    frames.push(ev('response.output_text.delta', { item_id: msgId, output_index: 0, content_index: 0, delta: p, logprobs: [] }));
    texts.push(p);
  }
  frames.push(ev('response.output_text.done', { item_id: msgId, output_index: 0, content_index: 0, text, logprobs: [] }));
  frames.push(ev('response.content_part.done', { item_id: msgId, output_index: 0, content_index: 0, part: { type: 'output_text', text, annotations: [] } }));
  frames.push(ev('response.output_item.done', { output_index: 0, item: messageItem(msgId, text, 'completed') }));
  texts.push('', '', '');
  const terminalFrom = frames.length;
  frames.push(ev('response.completed', { response: responseObject(req, respId, 'completed', completedOutput ? [messageItem(msgId, text, 'completed')] : [], true) }));
  texts.push('');
  return { frames, texts, terminalFrom, firstTextFrame };
}

/**
 * The ChatGPT Codex backend (`chatgpt/<model>` deployments): the Responses stream with an empty
 * `response.completed.output`, the OpenAI error shape, and the backend's request rules in place of a key
 * check (module notes).
 */
const CHATGPT: WireCodec = {
  ...RESPONSES,
  wire: 'chatgpt',
  endpoint: '/backend-api/codex/responses',
  streamOnly: true,
  stream: (req, text, chunkSize) => responsesStream(req, text, chunkSize, false),
  rejectAuth(req, key, accountId) {
    const p = chatgptRequestProblem(req, { accessToken: key, accountId: accountId ?? '' });
    return p ? { status: p.status, body: { detail: p.detail } } : null;
  },
};

function messageItem(id: string, text: string, status: string) {
  return { type: 'message', id, status, role: 'assistant', content: text || status === 'completed' ? [{ type: 'output_text', text, annotations: [] }] : [] };
}

function responseObject(req: RecordedRequest, id: string, status: string, output: unknown[], usage: boolean) {
  return {
    id,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    error: null,
    incomplete_details: null,
    model: modelOf(req),
    output,
    usage: usage
      ? { input_tokens: 5, output_tokens: 3, total_tokens: 8, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } }
      : null,
  };
}

/** The codec of each wire. Adding a wire = adding an entry here and to {@link FaultWire}. */
export const WIRES: Readonly<Record<FaultWire, WireCodec>> = { chat: CHAT, responses: RESPONSES, messages: MESSAGES_FAULT_CODEC, chatgpt: CHATGPT };

/** A model the `chatgpt` wire's rules accept (one of the mock plan's models). */
export const CHATGPT_FAULT_MODEL: string = PLAN_MODELS[0]!;

/**
 * The wire a request was sent to, from its path (`…/chat/completions`, `…/responses`, `…/messages`, or
 * `…/backend-api/codex/responses`: the longest matching endpoint wins), or undefined.
 */
export function wireOfRequest(req: RecordedRequest): FaultWire | undefined {
  let best: WireCodec | undefined;
  for (const c of Object.values(WIRES) as WireCodec[]) if (req.path.endsWith(c.endpoint) && (!best || c.endpoint.length > best.endpoint.length)) best = c;
  return best?.wire;
}

/** The provider key a request carried (`Authorization: Bearer`, `api-key` or `x-api-key`), or `''`. */
export function keyOfRequest(req: RecordedRequest): string {
  const auth = req.headers['authorization'] ?? '';
  if (auth.toLowerCase().startsWith('bearer ')) return auth.slice(7);
  return req.headers['api-key'] ?? req.headers['x-api-key'] ?? '';
}

/**
 * Every fault (and healthy answer) the mock can give, with what it does for a JSON request and for a
 * streamed one. "prefix" means the first frames of a healthy stream (by default up to and including the
 * second text delta; see {@link FaultOptions.framesBefore}), so the client may already have seen text.
 */
export const FAULTS = {
  healthy: { json: 'a complete JSON answer', stream: 'a complete SSE answer' },
  healthy_fragmented: {
    json: 'a complete JSON answer written in 3 pieces with pauses',
    stream: 'a complete SSE answer, every frame split across 2 writes with pauses (frames never align with TCP chunks)',
  },
  healthy_keepalive: { json: null, stream: 'a complete SSE answer with `: keep-alive` comments before and between the events' },
  healthy_no_done: {
    json: null,
    stream: 'a complete SSE answer without a trailing `data: [DONE]` (chat: ends right after the finish_reason chunk, as some OpenAI-compatible servers do; responses, messages: the wire has no [DONE], same as healthy)',
  },
  rate_limit_retry_after: { json: 'HTTP 429 with `Retry-After: 1`, the wire\'s error body (messages: `rate_limit_error`) quoting the key', stream: 'same (before any event)' },
  rate_limit: { json: 'HTTP 429 without Retry-After, the wire\'s error body quoting the key', stream: 'same' },
  http_500: { json: 'HTTP 500, the wire\'s error body (messages: `api_error`) quoting the key', stream: 'same' },
  http_502: { json: 'HTTP 502, the wire\'s error body quoting the key', stream: 'same' },
  http_503: { json: 'HTTP 503, the wire\'s error body quoting the key', stream: 'same' },
  http_529: { json: 'HTTP 529 (overloaded; messages: `overloaded_error`), the wire\'s error body quoting the key', stream: 'same' },
  reset_before_headers: { json: 'the TCP connection is destroyed after the request arrived, before any response byte', stream: 'same' },
  no_headers: { json: 'the request is read and nothing is ever answered (until the peer closes)', stream: 'same' },
  headers_no_body: { json: '200 application/json headers (chunked), then silence', stream: '200 text/event-stream headers, then silence' },
  keepalive_only: { json: null, stream: '200 SSE headers, then only `: keep-alive` comments every 200 ms, never an event' },
  stall_mid_body: { json: 'half of the JSON answer, then silence', stream: 'the prefix, then silence' },
  reset_mid_body: { json: 'half of the JSON answer, then the connection is destroyed', stream: 'the prefix, then the connection is destroyed' },
  cut_mid_line: { json: null, stream: 'the prefix, then the first half of the next frame (no newline), then a clean end' },
  malformed_sse: { json: null, stream: 'the prefix, then a frame whose data is not JSON, then the rest of the healthy stream' },
  invalid_json: { json: '200 application/json whose body is not JSON', stream: 'a first event whose data is not JSON, then the rest of the healthy stream' },
  truncated_json: { json: '200 application/json, the first half of the answer (chunked), then a clean end', stream: 'half of the first frame, then a clean end' },
  html_200: { json: '200 text/html (a proxy error page)', stream: 'same (no SSE at all)' },
  error_object_200: { json: '200 application/json `{"error": {...}}` (messages: `{"type": "error", "error": {...}}`) quoting the key', stream: 'same (a JSON error body instead of SSE)' },
  in_stream_error: { json: null, stream: "the prefix, then the wire's in-stream error frame quoting the key (chat: then `data: [DONE]`)" },
  error_first_event: { json: null, stream: "the wire's in-stream error frame quoting the key as the first event (chat: then `data: [DONE]`)" },
  no_terminal: { json: null, stream: 'the prefix, then a clean end without the terminal event (messages: no message_delta, no message_stop)' },
  endless_stream: {
    json: null,
    stream: 'the prefix, then its first text delta again every 100 ms without end (until the peer closes): never silent, never complete',
  },
  empty_body: { json: '200 application/json with an empty body', stream: '200 SSE headers, then a clean end with no event' },
  json_wrong_shape: {
    json: '200 application/json, valid JSON but not an answer: the answer object without `choices` (chat) / `output` (responses) / `content` (messages)',
    stream: 'same (that JSON object instead of SSE)',
  },
  usage_limit: {
    json: null,
    stream:
      'chatgpt wire only: HTTP 429 `{"error": {"type": "usage_limit_reached", "message" (quoting the key), "plan_type", "resets_at", "resets_in_seconds"}}` (the ChatGPT backend when the plan\'s limit is reached; reset in `resetsInSeconds`)',
    wires: ['chatgpt'],
  },
  unauthorized: { json: null, stream: "chatgpt wire only: HTTP 401, the wire's error body (`token_expired`) quoting the key", wires: ['chatgpt'] },
} as const satisfies Record<string, { json: string | null; stream: string; wires?: readonly FaultWire[] }>;

/** Name of a fault in {@link FAULTS}. */
export type FaultName = keyof typeof FAULTS;

/** All fault names, in {@link FAULTS} order. */
export const FAULT_NAMES = Object.keys(FAULTS) as FaultName[];

/**
 * Whether `fault` has a meaning for requests of `mode` on `wire` (stream-only faults have none for JSON, a
 * stream-only wire has no JSON form, a wire-specific fault none on other wires); without `wire`, on any.
 */
export function faultApplies(fault: FaultName, mode: AnswerMode, wire?: FaultWire): boolean {
  const f: { json: string | null; stream: string; wires?: readonly FaultWire[] } = FAULTS[fault];
  if (f[mode] === null) return false;
  if (!wire) return true;
  if (mode === 'json' && WIRES[wire].streamOnly) return false;
  return !f.wires || f.wires.includes(wire);
}

/** Options of {@link faultReply}. */
export interface FaultOptions {
  /** Assistant text of healthy (parts of) answers [`Hello from <upstream name>: all good.`]. */
  text?: string;
  /** Characters per text delta in streams [6]. */
  chunkSize?: number;
  /**
   * Frames of the healthy stream sent before a mid-stream fault (the "prefix") [first text frame + 2,
   * at most the frames before the terminal one].
   */
  framesBefore?: number;
  /** Pause between frames in ms [5]. */
  frameDelayMs?: number;
  /** Retry-After value of `rate_limit_retry_after`, in seconds [`1`]. */
  retryAfter?: string;
  /** Quote the request's provider key in error texts [true]. */
  quoteKey?: boolean;
  /** Seconds until the plan's limit resets in `usage_limit` [60]. */
  resetsInSeconds?: number;
}

/** What a fault reply did, read by {@link FaultUpstream} into its {@link Exchange}. */
interface ReplyNotes {
  fault: string;
  /** Assistant text sent before the fault (the whole answer for healthy replies, the prefix for mid-stream faults). */
  sentText: string;
  /** True when the mock destroyed the connection itself. */
  reset: boolean;
}
const notesOf = new WeakMap<ServerResponse, ReplyNotes>();
function notes(res: ServerResponse, fault: string): ReplyNotes {
  let n = notesOf.get(res);
  if (!n) notesOf.set(res, (n = { fault, sentText: '', reset: false }));
  return n;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Writes `chunk` and waits until it is handed to the socket; false when the peer is gone. */
async function put(res: ServerResponse, chunk: string): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return false;
  await new Promise<void>((resolve) => res.write(chunk, () => resolve()));
  return !res.destroyed;
}

/** Resolves when the connection of `res` is closed (by either side). */
function closed(res: ServerResponse): Promise<void> {
  if (res.destroyed || (res as { closed?: boolean }).closed) return Promise.resolve();
  return new Promise((resolve) => res.once('close', () => resolve()));
}

/** Destroys the connection (a TCP reset as the peer sees it) after the written bytes had time to leave. */
async function reset(res: ServerResponse, n: ReplyNotes): Promise<void> {
  await sleep(30);
  n.reset = true;
  res.socket?.resetAndDestroy?.();
  res.destroy();
}

function sseHeaders(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.flushHeaders();
}

function jsonHeaders(res: ServerResponse, contentLength?: number): void {
  res.writeHead(200, contentLength === undefined ? { 'content-type': 'application/json' } : { 'content-type': 'application/json', 'content-length': contentLength });
  res.flushHeaders();
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function errorBody(codec: WireCodec, status: number, req: RecordedRequest, quoteKey: boolean): Record<string, unknown> {
  const key = quoteKey ? keyOfRequest(req) : '';
  return codec.statusError(status, key ? `; request made with key ${key}` : '');
}

/**
 * A reply giving `fault` (see {@link FAULTS}) on the wire the request was sent to, streamed when the body
 * says `stream: true`. Usable with any {@link MockUpstream}; {@link FaultUpstream} adds timing records.
 * A request to a path of no known wire gets 404; a fault that has no form for the request's mode (a
 * stream-only fault asked for JSON) answers 400 naming the test bug.
 */
export function faultReply(fault: FaultName, opts: FaultOptions = {}): Reply {
  return async (req, res) => {
    const n = notes(res, fault);
    const wire = wireOfRequest(req);
    if (!wire || req.method !== 'POST') {
      sendJson(res, 404, { error: { message: `fault mock: no wire at ${req.method} ${req.path}`, type: 'invalid_request_error', param: null, code: 'unknown_url' } });
      return;
    }
    const codec = WIRES[wire];
    const mode: AnswerMode = req.body?.stream === true ? 'stream' : 'json';
    if (!faultApplies(fault, mode, wire)) {
      sendJson(res, 400, { error: { message: `fault mock: fault "${fault}" has no ${mode} form on the ${wire} wire (test bug)`, type: 'invalid_request_error', param: null, code: 'test_bug' } });
      return;
    }
    const text = opts.text ?? `Hello from ${req.upstream}: all good.`;
    const quoteKey = opts.quoteKey ?? true;
    const delay = opts.frameDelayMs ?? 5;
    const keyText = quoteKey && keyOfRequest(req) ? ` (key ${keyOfRequest(req)})` : '';

    // Faults that do not depend on the answer mode.
    switch (fault) {
      case 'rate_limit_retry_after':
        return sendJson(res, 429, errorBody(codec, 429, req, quoteKey), { 'retry-after': opts.retryAfter ?? '1' });
      case 'rate_limit':
        return sendJson(res, 429, errorBody(codec, 429, req, quoteKey));
      case 'http_500':
      case 'http_502':
      case 'http_503':
      case 'http_529': {
        const status = Number(fault.slice(5));
        return sendJson(res, status, errorBody(codec, status, req, quoteKey));
      }
      case 'usage_limit': {
        const s = opts.resetsInSeconds ?? 60;
        const error = { type: 'usage_limit_reached', message: `The usage limit has been reached${keyText}`, plan_type: 'plus', resets_at: Math.floor(Date.now() / 1000) + s, resets_in_seconds: s };
        return sendJson(res, 429, { error });
      }
      case 'unauthorized':
        return sendJson(res, 401, errorBody(codec, 401, req, quoteKey));
      case 'reset_before_headers':
        return reset(res, n);
      case 'no_headers':
        return closed(res);
      case 'html_200': {
        const html = '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>The proxy could not reach the model server.</p></body></html>';
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
        res.end(html);
        return;
      }
      case 'error_object_200':
        return sendJson(res, 200, codec.errorObject(`Internal error while generating the answer${keyText}.`));
      case 'json_wrong_shape': {
        const shell = codec.json(req, text);
        delete shell[codec.answerField];
        return sendJson(res, 200, shell);
      }
    }

    if (mode === 'json') {
      const whole = JSON.stringify(codec.json(req, text));
      const half = whole.slice(0, Math.floor(whole.length / 2));
      switch (fault) {
        case 'healthy':
          n.sentText = text;
          return sendJson(res, 200, JSON.parse(whole));
        case 'healthy_fragmented': {
          jsonHeaders(res, Buffer.byteLength(whole));
          const third = Math.ceil(whole.length / 3);
          for (const p of [whole.slice(0, third), whole.slice(third, 2 * third), whole.slice(2 * third)]) {
            if (!(await put(res, p))) return;
            await sleep(15);
          }
          n.sentText = text;
          res.end();
          return;
        }
        case 'headers_no_body':
          jsonHeaders(res);
          return closed(res);
        case 'stall_mid_body':
          jsonHeaders(res);
          if (!(await put(res, half))) return;
          return closed(res);
        case 'reset_mid_body':
          jsonHeaders(res);
          if (!(await put(res, half))) return;
          return reset(res, n);
        case 'invalid_json':
          jsonHeaders(res);
          res.end(`{"id": "broken-${nextId('')}", "choices": [ this is not JSON }`);
          return;
        case 'truncated_json':
          jsonHeaders(res);
          if (!(await put(res, half))) return;
          res.end();
          return;
        case 'empty_body':
          jsonHeaders(res, 0);
          res.end();
          return;
      }
      throw new Error(`fault mock: unhandled JSON fault ${fault}`);
    }

    // Streamed faults.
    const plan = codec.stream(req, text, Math.max(1, opts.chunkSize ?? 6));
    const before = Math.max(0, Math.min(opts.framesBefore ?? plan.firstTextFrame + 2, plan.terminalFrom));
    /** Sends frames [from, to) of the plan; false when the peer is gone. */
    const send = async (from: number, to: number, counted = true): Promise<boolean> => {
      for (let i = from; i < to; i++) {
        if (!(await put(res, plan.frames[i]!))) return false;
        if (counted) n.sentText += plan.texts[i]!;
        if (delay > 0) await sleep(delay);
      }
      return true;
    };
    switch (fault) {
      case 'healthy':
        sseHeaders(res);
        if (await send(0, plan.frames.length)) res.end();
        return;
      case 'healthy_no_done': {
        sseHeaders(res);
        const done = dataFrame('[DONE]');
        for (let i = 0; i < plan.frames.length; i++) if (plan.frames[i] !== done && !(await send(i, i + 1))) return;
        res.end();
        return;
      }
      case 'healthy_fragmented':
        sseHeaders(res);
        for (let i = 0; i < plan.frames.length; i++) {
          const f = plan.frames[i]!;
          const cut = Math.max(1, Math.floor(f.length / 2) - 3);
          if (!(await put(res, f.slice(0, cut)))) return;
          await sleep(10);
          if (!(await put(res, f.slice(cut)))) return;
          n.sentText += plan.texts[i]!;
        }
        res.end();
        return;
      case 'healthy_keepalive':
        sseHeaders(res);
        if (!(await put(res, ': keep-alive\n\n'))) return;
        for (let i = 0; i < plan.frames.length; i++) {
          if (!(await send(i, i + 1))) return;
          if (!(await put(res, ': keep-alive\n\n'))) return;
        }
        res.end();
        return;
      case 'headers_no_body':
        sseHeaders(res);
        return closed(res);
      case 'keepalive_only': {
        sseHeaders(res);
        const timer = setInterval(() => {
          if (!res.destroyed) res.write(': keep-alive\n\n');
        }, 200);
        await closed(res);
        clearInterval(timer);
        return;
      }
      case 'stall_mid_body':
        sseHeaders(res);
        if (!(await send(0, before))) return;
        return closed(res);
      case 'reset_mid_body':
        sseHeaders(res);
        if (!(await send(0, before))) return;
        return reset(res, n);
      case 'cut_mid_line': {
        sseHeaders(res);
        if (!(await send(0, before))) return;
        const next = plan.frames[before]!;
        if (!(await put(res, next.slice(0, Math.floor(next.length / 2))))) return;
        await sleep(20);
        res.end();
        return;
      }
      case 'malformed_sse':
      case 'invalid_json': {
        const at = fault === 'invalid_json' ? 0 : before;
        sseHeaders(res);
        if (!(await send(0, at))) return;
        if (!(await put(res, codec.malformedFrame))) return;
        if (await send(at, plan.frames.length, false)) res.end();
        return;
      }
      case 'truncated_json': {
        sseHeaders(res);
        const first = plan.frames[0]!;
        if (!(await put(res, first.slice(0, Math.floor(first.length / 2))))) return;
        await sleep(20);
        res.end();
        return;
      }
      case 'in_stream_error':
      case 'error_first_event': {
        const at = fault === 'error_first_event' ? 0 : before;
        sseHeaders(res);
        if (!(await send(0, at))) return;
        if (!(await put(res, codec.errorFrame(`The model server failed while generating${keyText}.`)))) return;
        for (const f of codec.afterError) if (!(await put(res, f))) return;
        res.end();
        return;
      }
      case 'no_terminal':
        sseHeaders(res);
        if (await send(0, before)) res.end();
        return;
      case 'endless_stream': {
        sseHeaders(res);
        if (!(await send(0, before))) return;
        const again = plan.firstTextFrame;
        const timer = setInterval(() => {
          if (res.destroyed || res.writableEnded) return;
          res.write(plan.frames[again]!);
          n.sentText += plan.texts[again]!;
        }, 100);
        await closed(res);
        clearInterval(timer);
        return;
      }
      case 'empty_body':
        sseHeaders(res);
        res.end();
        return;
    }
    throw new Error(`fault mock: unhandled stream fault ${fault}`);
  };
}

/**
 * A reply that picks a fault at random for each request, by weight (for soak tests).
 * @param choices `[fault, weight]` pairs; weights need not sum to 1.
 * @param random uniform [0, 1) source (inject a seeded one for reproducible runs).
 */
export function faultMix(choices: [FaultName, number][], opts: FaultOptions = {}, random: () => number = Math.random): Reply {
  const total = choices.reduce((s, [, w]) => s + w, 0);
  const replies = choices.map(([f, w]) => [faultReply(f, opts), w] as const);
  return (req, res) => {
    let r = random() * total;
    for (const [reply, w] of replies) {
      if ((r -= w) < 0) return reply(req, res);
    }
    return replies[replies.length - 1]![0](req, res);
  };
}

/** One POST answered by a {@link FaultUpstream}: what was asked, what was done, and the timing (epoch ms). */
export interface Exchange {
  request: RecordedRequest;
  /** The fault (or `custom` for a plain Reply) that answered. */
  fault: string;
  wire: FaultWire | undefined;
  mode: AnswerMode;
  /** When the reply started (the whole request body had arrived). */
  startedAt: number;
  /** When the response headers were written, if they were. */
  headersAt?: number;
  /** Every body write: time and size in bytes. */
  writes: { at: number; bytes: number }[];
  /** Time of the last body write (or of the headers, or the start when nothing was written). */
  lastWriteAt: number;
  /**
   * Assistant text the reply sent before its fault: the whole answer for healthy replies, the prefix's
   * text for mid-stream faults (text sent after a malformed frame does not count); set on close.
   */
  sentText: string;
  /** When the connection closed; undefined while open. */
  closedAt?: number;
  /**
   * Who ended the exchange: `mock-end` (the mock finished its response), `mock-reset` (the mock destroyed
   * the connection: a fault), `peer` (the gateway closed it first: abort, timeout, gave up); undefined
   * while open.
   */
  closedBy?: 'mock-end' | 'mock-reset' | 'peer';
}

/** A wrapped reply specification: a fault name, a fault with options, or any {@link Reply}. */
export type FaultSpec = FaultName | { fault: FaultName; options?: FaultOptions } | Reply;

/** Options of {@link FaultUpstream.start}. */
export interface FaultUpstreamOptions {
  /** Label of the mock (recorded requests, default texts) [`faulty`]. */
  name?: string;
  /**
   * When set, a POST must carry this key the way its wire sends it (`Authorization: Bearer` on chat and
   * responses; `x-api-key` plus an `anthropic-version` header on messages; on chatgpt the sign-in's access
   * token, with {@link chatgptAccountId} and the backend's other rules); others get the wire's 401 (or
   * 400 without anthropic-version, or the backend's refusal), record no exchange and use no scripted reply
   * ({@link WireCodec.rejectAuth}).
   */
  apiKey?: string;
  /** The `ChatGPT-Account-Id` the chatgpt wire requires (with {@link apiKey} as the access token). */
  chatgptAccountId?: string;
  /** Answer of every POST the script does not cover [`healthy`]. */
  always?: FaultSpec;
  /** Options for faults given by name. */
  faultOptions?: FaultOptions;
}

/**
 * A mock upstream (any wire, see {@link WIRES}) that answers POSTs with faults and records an
 * {@link Exchange} for each. Listens on 127.0.0.1 (OS-assigned port); {@link close} destroys every open
 * socket, including hung replies.
 */
export class FaultUpstream {
  /** One record per POST answered, in arrival order. */
  readonly exchanges: Exchange[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];
  /** Replies of {@link enqueue}, answered before {@link standing}. */
  private readonly script: Reply[] = [];
  private standing: Reply = () => undefined;

  private constructor(
    /** The underlying mock (recorded requests, `GET /models`). */
    readonly mock: MockUpstream,
    private readonly faultOptions: FaultOptions,
    /** The key every POST must carry (see {@link FaultUpstreamOptions.apiKey}). */
    private readonly apiKey: string | undefined,
    /** The account id the chatgpt wire requires (see {@link FaultUpstreamOptions.chatgptAccountId}). */
    private readonly accountId?: string,
  ) {
    // Every POST the mock's own script does not answer comes here: the key check (per wire), then the
    // fault script, then the standing fault.
    mock.setFallback((req, res) => this.dispatch(req, res));
  }

  /** Starts a fault upstream. @throws if no port can be bound. */
  static async start(opts: FaultUpstreamOptions = {}): Promise<FaultUpstream> {
    const mock = await MockUpstream.start({ name: opts.name ?? 'faulty' });
    const up = new FaultUpstream(mock, opts.faultOptions ?? {}, opts.apiKey, opts.chatgptAccountId);
    up.always(opts.always ?? 'healthy');
    return up;
  }

  /**
   * Puts fault answers on a mock that is already running (e.g. one of `startScenario`'s upstreams): its
   * POSTs not covered by {@link enqueue} get `always` [`healthy`]. Replies enqueued on the mock before
   * this call still answer first (without exchange records). The mock's own key check (MockUpstream
   * `apiKey`: `Authorization: Bearer` only) still applies, so a mock serving the messages wire (key in
   * `x-api-key`) must be started without one.
   */
  static over(mock: MockUpstream, opts: Pick<FaultUpstreamOptions, 'always' | 'faultOptions'> = {}): FaultUpstream {
    const up = new FaultUpstream(mock, opts.faultOptions ?? {}, undefined);
    up.always(opts.always ?? 'healthy');
    return up;
  }

  /** `http://127.0.0.1:PORT/v1`, for a deployment's `api_base`. */
  get baseUrl(): string {
    return this.mock.baseUrl;
  }

  /** `http://127.0.0.1:PORT/backend-api/codex`, the `api_base` of a `chatgpt/<model>` deployment. */
  get chatgptBaseUrl(): string {
    return `${this.mock.origin}/backend-api/codex`;
  }

  get name(): string {
    return this.mock.name;
  }

  /** Answers every POST not covered by {@link enqueue} with `spec` from now on. */
  always(spec: FaultSpec, options?: FaultOptions): this {
    this.standing = this.wrap(spec, options);
    return this;
  }

  /** Answers the next POSTs with these specs, in order (FIFO), before {@link always} applies again. */
  enqueue(...specs: FaultSpec[]): this {
    this.script.push(...specs.map((s) => this.wrap(s)));
    return this;
  }

  /** Scripted specs not used yet. */
  get pending(): number {
    return this.script.length;
  }

  /** One POST: rejected for a wrong key (no exchange, script untouched), else the next scripted or the standing reply. */
  private dispatch(req: RecordedRequest, res: ServerResponse): void | Promise<void> {
    if (this.apiKey !== undefined) {
      const wire = wireOfRequest(req);
      const rejected = wire ? WIRES[wire].rejectAuth(req, this.apiKey, this.accountId) : null;
      if (rejected) return sendJson(res, rejected.status, rejected.body);
    }
    return (this.script.shift() ?? this.standing)(req, res);
  }

  /** Exchanges whose request went to `wire`. */
  exchangesOn(wire: FaultWire): Exchange[] {
    return this.exchanges.filter((x) => x.wire === wire);
  }

  /**
   * Resolves once at least `n` exchanges were recorded.
   * @throws (rejects) after `timeoutMs` [10000], saying how many there were.
   */
  waitForExchanges(n: number, timeoutMs = 10_000): Promise<void> {
    if (this.exchanges.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = { n, resolve: () => (clearTimeout(timer), resolve()) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`fault upstream "${this.name}": expected ${n} requests within ${timeoutMs} ms, got ${this.exchanges.length}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /**
   * Resolves true once every recorded exchange's connection is closed, or false after `timeoutMs`
   * (polling every 10 ms; never rejects).
   */
  async waitAllClosed(timeoutMs = 3_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.exchanges.some((x) => x.closedAt === undefined)) {
      if (Date.now() >= deadline) return false;
      await sleep(10);
    }
    return true;
  }

  /** Stops listening and destroys every open socket (hung replies included). */
  close(): Promise<void> {
    return this.mock.close();
  }

  private wrap(spec: FaultSpec, options?: FaultOptions): Reply {
    let label: string;
    let inner: Reply;
    if (typeof spec === 'string') {
      label = spec;
      inner = faultReply(spec, { ...this.faultOptions, ...options });
    } else if (typeof spec === 'function') {
      label = 'custom';
      inner = spec;
    } else {
      label = spec.fault;
      inner = faultReply(spec.fault, { ...this.faultOptions, ...spec.options, ...options });
    }
    return (req, res) => this.record(label, req, res, inner);
  }

  private record(label: string, req: RecordedRequest, res: ServerResponse, inner: Reply): void | Promise<void> {
    const now = Date.now();
    const n = notes(res, label);
    const x: Exchange = {
      request: req,
      fault: label,
      wire: wireOfRequest(req),
      mode: req.body?.stream === true ? 'stream' : 'json',
      startedAt: now,
      writes: [],
      lastWriteAt: now,
      sentText: '',
      closedAt: undefined,
      closedBy: undefined,
    };
    // Instrument this response object only: header and body writes get timestamps.
    const writeHead = res.writeHead.bind(res) as (...a: unknown[]) => ServerResponse;
    (res as { writeHead: unknown }).writeHead = (...a: unknown[]) => {
      x.headersAt = x.lastWriteAt = Date.now();
      return writeHead(...a);
    };
    const noteWrite = (chunk: unknown) => {
      const bytes = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk instanceof Uint8Array ? chunk.length : 0;
      if (bytes > 0) {
        const at = Date.now();
        x.writes.push({ at, bytes });
        x.lastWriteAt = at;
      }
    };
    const write = res.write.bind(res) as (...a: unknown[]) => boolean;
    (res as { write: unknown }).write = (chunk: unknown, ...rest: unknown[]) => {
      noteWrite(chunk);
      return write(chunk, ...rest);
    };
    const end = res.end.bind(res) as (...a: unknown[]) => ServerResponse;
    (res as { end: unknown }).end = (chunk?: unknown, ...rest: unknown[]) => {
      if (typeof chunk !== 'function') noteWrite(chunk);
      return end(chunk, ...rest);
    };
    res.once('close', () => {
      x.closedAt = Date.now();
      x.sentText = n.sentText;
      x.closedBy = n.reset ? 'mock-reset' : res.writableFinished ? 'mock-end' : 'peer';
    });
    this.exchanges.push(x);
    const ready = this.waiters.filter((w) => this.exchanges.length >= w.n);
    this.waiters = this.waiters.filter((w) => this.exchanges.length < w.n);
    for (const w of ready) w.resolve();
    // The request's connection may already be gone (the mock read the body while the peer gave up).
    if (req.aborted || res.destroyed) {
      x.closedAt ??= Date.now();
      x.closedBy ??= 'peer';
    }
    return inner(req, res);
  }
}

/**
 * A `http://127.0.0.1:PORT/v1` base URL on which nothing listens (connection refused); see
 * {@link refusingPort} for why the port is not one `listen(0)` handed out.
 * @throws as refusingPort.
 */
export async function closedPortUrl(): Promise<string> {
  return `http://127.0.0.1:${await refusingPort()}/v1`;
}
