/**
 * A scripted mock of upstream LLM providers for tests, listening on 127.0.0.1 only.
 *
 * It speaks the documented wire formats:
 * - OpenAI Chat Completions (`POST …/chat/completions`): a JSON `chat.completion`, or with `stream: true`
 *   Server-Sent Events `data: {chat.completion.chunk}` … `data: [DONE]` (OpenAI API reference,
 *   "Create chat completion" / "The chat completion chunk object"). Options reproduce DeepSeek's
 *   `reasoning_content` deltas (DeepSeek API docs, "Reasoning Model"), tool_calls whose `arguments` arrive
 *   split across chunks, and the final `choices: []` chunk carrying `usage` when the request sets
 *   `stream_options.include_usage`.
 * - OpenAI Responses (`POST …/responses`): a JSON `response` object, or with `stream: true` SSE frames
 *   `event: <type>` / `data: <json>` with `response.created`, `response.output_item.added`,
 *   `response.output_text.delta`, …, `response.completed` (OpenAI API reference, "Streaming events").
 * - `GET …/models`: OpenAI's list shape `{"object":"list","data":[{id, object:"model", created, owned_by}]}`.
 *
 * Every request is recorded in {@link MockUpstream.requests}. POST requests are answered by the next scripted
 * {@link Reply} (FIFO); when the script is empty the fallback reply answers (default: HTTP 500 saying that
 * the script ran out). `GET …/models` is answered by the models reply and does not consume the script.
 *
 * Usage:
 * ```ts
 * const up = await MockUpstream.start({ name: 'deepseek' });
 * up.enqueue(chatText('hello', { reasoning: 'thinking…' }));
 * // point a deployment at up.baseUrl ("http://127.0.0.1:PORT/v1")
 * await up.waitForRequests(1);
 * assert.equal(up.requests[0].body.model, 'deepseek-chat');
 * await up.close();
 * ```
 */
import type * as http from 'node:http';
import { closeServer, listenLoopback, recordRequest, RequestLog, type BaseRecordedRequest } from './mock-server';

/** One request as the mock received it. */
export interface RecordedRequest extends BaseRecordedRequest {
  /** Which mock received it ({@link MockUpstreamOptions.name}). */
  upstream: string;
}

/**
 * Writes the response for one request. May be async (e.g. streaming with delays). If it throws before
 * sending headers, the mock answers 500 with the error message.
 */
export type Reply = (req: RecordedRequest, res: http.ServerResponse) => void | Promise<void>;

/** Options of {@link MockUpstream.start}. */
export interface MockUpstreamOptions {
  /** Label used in recorded requests and error messages (default `mock`). */
  name?: string;
  /**
   * If set, every request must carry `Authorization: Bearer <apiKey>`; others get a 401 in OpenAI's
   * error shape (`invalid_api_key`), like api.openai.com. Generate the key at runtime in tests.
   */
  apiKey?: string;
  /** Model ids listed by `GET …/models` (default `["mock-model"]`). */
  models?: string[];
}

/** Usage numbers in Chat Completions' names (tokens). */
export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number };
}

/** A scripted local upstream. Start with {@link MockUpstream.start}; always {@link MockUpstream.close} it. */
export class MockUpstream {
  /** Every request received, in arrival order (including `GET /models` and rejected ones). */
  readonly requests: RecordedRequest[];
  /** Base URL to configure as a deployment's `api_base`: `http://127.0.0.1:PORT/v1`. */
  readonly baseUrl: string;
  /** Origin without the `/v1` path: `http://127.0.0.1:PORT`. */
  readonly origin: string;
  readonly name: string;

  private readonly script: Reply[] = [];
  private fallback: Reply;
  private modelsReply: Reply;
  private readonly log = new RequestLog<RecordedRequest>();

  private constructor(
    private readonly server: http.Server,
    origin: string,
    private readonly opts: MockUpstreamOptions,
  ) {
    this.requests = this.log.requests;
    this.origin = origin;
    this.baseUrl = `${this.origin}/v1`;
    this.name = opts.name ?? 'mock';
    this.fallback = errorReply(500, {
      error: {
        message: `mock upstream "${this.name}" has no scripted reply left (the test enqueued too few replies)`,
        type: 'server_error',
        param: null,
        code: 'mock_script_exhausted',
      },
    });
    this.modelsReply = modelsList(opts.models ?? ['mock-model']);
  }

  /**
   * Starts a mock on 127.0.0.1 with an OS-assigned port.
   * @throws if the port cannot be bound.
   */
  static async start(opts: MockUpstreamOptions = {}): Promise<MockUpstream> {
    const { server, origin } = await listenLoopback(120_000);
    const mock = new MockUpstream(server, origin, opts);
    server.on('request', (req, res) => void mock.handle(req, res));
    return mock;
  }

  /** Appends replies to the script; each answers one incoming POST (FIFO). */
  enqueue(...replies: Reply[]): this {
    this.script.push(...replies);
    return this;
  }

  /** Sets the reply used when the script is empty (e.g. `errorReply(503)` for "always down"). */
  setFallback(r: Reply): this {
    this.fallback = r;
    return this;
  }

  /** Replaces the reply to `GET …/models`. */
  setModelsReply(r: Reply): this {
    this.modelsReply = r;
    return this;
  }

  /** Number of scripted replies not yet used. */
  get pending(): number {
    return this.script.length;
  }

  /** Requests whose path ends with `suffix` (e.g. `/chat/completions`). */
  requestsTo(suffix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path.endsWith(suffix));
  }

  /**
   * Resolves once at least `n` requests have been received.
   * @param timeoutMs default 10000 ms.
   * @throws Error (rejects) after `timeoutMs`, saying how many arrived.
   */
  waitForRequests(n: number, timeoutMs = 10_000): Promise<void> {
    return this.log.waitFor(n, timeoutMs, `mock upstream "${this.name}"`);
  }

  /** Stops listening and destroys every open socket (including hung replies). */
  close(): Promise<void> {
    return closeServer(this.server);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const rec = await recordRequest<RecordedRequest>(req, res, this.origin, { upstream: this.name });
    this.log.add(rec);
    if (rec.aborted) return;

    let reply: Reply;
    if (this.opts.apiKey !== undefined && rec.headers['authorization'] !== `Bearer ${this.opts.apiKey}`) {
      reply = errorReply(401, {
        error: {
          message: 'Incorrect API key provided (mock upstream).',
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      });
    } else if (rec.method === 'GET' && rec.path.endsWith('/models')) {
      reply = this.modelsReply;
    } else {
      reply = this.script.shift() ?? this.fallback;
    }
    try {
      await reply(rec, res);
    } catch (e) {
      if (!res.headersSent) {
        sendJson(res, 500, { error: { message: `mock reply threw: ${String(e)}`, type: 'server_error', param: null, code: null } });
      } else {
        res.destroy();
      }
    }
  }
}


function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Starts an SSE response (`text/event-stream`). */
function startSse(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.flushHeaders();
}

/**
 * Writes one SSE frame and waits until it is handed to the socket (so a later `destroy()` cannot swallow
 * it); resolves false when the client is gone.
 */
async function writeFrame(res: http.ServerResponse, frame: string, delayMs: number): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return false;
  await new Promise<void>((resolve) => res.write(frame, () => resolve()));
  if (delayMs > 0) await sleep(delayMs);
  return !res.destroyed;
}

/**
 * Answers 404 (OpenAI error shape) when a reply builder is used on the wrong endpoint, so wiring bugs show
 * up as clear failures instead of odd parses. Returns true if it answered.
 */
function wrongEndpoint(req: RecordedRequest, res: http.ServerResponse, suffix: string): boolean {
  if (req.method === 'POST' && req.path.endsWith(suffix)) return false;
  sendJson(res, 404, {
    error: {
      message: `mock upstream "${req.upstream}": this scripted reply expects POST …${suffix}, got ${req.method} ${req.path}`,
      type: 'invalid_request_error',
      param: null,
      code: 'unknown_url',
    },
  });
  return true;
}

/** Answers 400 like OpenAI when a Chat Completions body lacks `model` or a non-empty `messages` array. */
function invalidChatBody(req: RecordedRequest, res: http.ServerResponse): boolean {
  const b = req.body;
  let problem: string | undefined;
  if (typeof b !== 'object' || b === null) problem = 'body must be a JSON object';
  else if (typeof b.model !== 'string' || b.model === '') problem = "missing required parameter: 'model'";
  else if (!Array.isArray(b.messages) || b.messages.length === 0) problem = "missing required parameter: 'messages'";
  if (problem === undefined) return false;
  sendJson(res, 400, { error: { message: `mock upstream: ${problem}`, type: 'invalid_request_error', param: null, code: null } });
  return true;
}

let idCounter = 0;
const nextId = (prefix: string) => `${prefix}${Date.now().toString(36)}${(++idCounter).toString(36)}`;

/** Splits `s` into pieces of at most `size` characters (at least one piece, possibly empty). */
function split(s: string, size: number): string[] {
  if (s.length === 0) return [''];
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

function defaultUsage(req: RecordedRequest, completionText: string): ChatUsage {
  const prompt = Math.max(1, Math.ceil(JSON.stringify(req.body ?? '').length / 4));
  const completion = Math.max(1, Math.ceil(completionText.length / 4));
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** Options shared by the Chat Completions reply builders. */
export interface ChatReplyOptions {
  /** DeepSeek-style `reasoning_content` sent before the answer (deltas when streaming, a field in JSON). */
  reasoning?: string;
  /** Characters per content / reasoning / arguments delta when streaming (default 8). */
  chunkSize?: number;
  /** Pause between SSE chunks in ms (default 0). */
  delayMs?: number;
  /** Usage to report; default: estimated from sizes. Sent in JSON always, in streams only with include_usage. */
  usage?: ChatUsage;
  /** `finish_reason` of the choice (default `stop` for text, `tool_calls` for tool calls). */
  finishReason?: string;
  /** Model name echoed in the reply (default: the request's `model`). */
  model?: string;
  /**
   * Streaming only: destroy the connection after this many `data:` chunks, without `[DONE]` (simulates an
   * upstream that dies mid-stream).
   */
  abortAfterChunks?: number;
}

/** A tool call the mock model makes. `arguments` is the JSON text exactly as sent upstream. */
export interface MockToolCall {
  /** `tool_calls[].id`; default a generated `call_…`. */
  id?: string;
  name: string;
  arguments: string;
}

/**
 * Shared body of {@link chatText} and {@link chatToolCalls}: streams `chat.completion.chunk`s when the
 * request has `stream: true`, else answers one `chat.completion` JSON.
 */
function chatReply(content: string | null, calls: MockToolCall[], opts: ChatReplyOptions): Reply {
  return async (req, res) => {
    if (wrongEndpoint(req, res, '/chat/completions') || invalidChatBody(req, res)) return;
    const id = nextId('chatcmpl-');
    const created = Math.floor(Date.now() / 1000);
    const model = opts.model ?? String(req.body.model);
    const toolCalls = calls.map((c) => ({ id: c.id ?? nextId('call_'), type: 'function' as const, function: { name: c.name, arguments: c.arguments } }));
    const finish = opts.finishReason ?? (calls.length > 0 ? 'tool_calls' : 'stop');
    const usage = opts.usage ?? defaultUsage(req, (opts.reasoning ?? '') + (content ?? '') + calls.map((c) => c.arguments).join(''));

    if (req.body.stream !== true) {
      const message: Record<string, unknown> = { role: 'assistant', content };
      if (opts.reasoning !== undefined) message.reasoning_content = opts.reasoning;
      if (toolCalls.length > 0) message.tool_calls = toolCalls;
      sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
        usage,
      });
      return;
    }

    const size = Math.max(1, opts.chunkSize ?? 8);
    const delay = opts.delayMs ?? 0;
    const includeUsage = req.body.stream_options?.include_usage === true;
    const base = { id, object: 'chat.completion.chunk', created, model, system_fingerprint: null };
    let sent = 0;
    const chunk = async (delta: Record<string, unknown>, finishReason: string | null = null): Promise<boolean> => {
      if (opts.abortAfterChunks !== undefined && sent >= opts.abortAfterChunks) {
        await sleep(20); // let the written chunks reach the client before the connection drops
        res.destroy();
        return false;
      }
      sent++;
      const frame = { ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] };
      return writeFrame(res, `data: ${JSON.stringify(frame)}\n\n`, delay);
    };

    startSse(res);
    if (opts.reasoning !== undefined) {
      // DeepSeek: the first chunk opens the role with null content and empty reasoning_content, then
      // reasoning deltas carry `content: null`, then content deltas carry `reasoning_content: null`.
      if (!(await chunk({ role: 'assistant', content: null, reasoning_content: '' }))) return;
      for (const piece of split(opts.reasoning, size)) {
        if (!(await chunk({ content: null, reasoning_content: piece }))) return;
      }
    } else if (!(await chunk({ role: 'assistant', content: '', refusal: null }))) return;

    if (content !== null && content !== '') {
      for (const piece of split(content, size)) {
        const delta: Record<string, unknown> = { content: piece };
        if (opts.reasoning !== undefined) delta.reasoning_content = null;
        if (!(await chunk(delta))) return;
      }
    }
    for (let i = 0; i < toolCalls.length; i++) {
      const tc = toolCalls[i];
      // First delta names the call with empty arguments; the arguments follow in pieces (OpenAI behaviour).
      if (!(await chunk({ tool_calls: [{ index: i, id: tc.id, type: 'function', function: { name: tc.function.name, arguments: '' } }] }))) return;
      for (const piece of split(tc.function.arguments, size)) {
        if (piece === '') continue;
        if (!(await chunk({ tool_calls: [{ index: i, function: { arguments: piece } }] }))) return;
      }
    }
    if (!(await chunk({}, finish))) return;
    if (includeUsage) {
      if (opts.abortAfterChunks !== undefined && sent >= opts.abortAfterChunks) {
        await sleep(20);
        return void res.destroy();
      }
      if (!(await writeFrame(res, `data: ${JSON.stringify({ ...base, choices: [], usage })}\n\n`, delay))) return;
    }
    if (!res.destroyed) res.end('data: [DONE]\n\n');
  };
}

/**
 * Chat Completions reply with assistant text (streamed when `req.body.stream`, else JSON).
 * Only answers `POST …/chat/completions` (404 elsewhere); 400 for a body without model/messages.
 */
export function chatText(text: string, opts: ChatReplyOptions = {}): Reply {
  return chatReply(text, [], opts);
}

/**
 * Chat Completions reply whose assistant message makes tool calls (`finish_reason: "tool_calls"`).
 * Streaming splits each call's `arguments` across chunks of `chunkSize` characters.
 * `opts.content` adds assistant text before the calls.
 */
export function chatToolCalls(calls: MockToolCall[], opts: ChatReplyOptions & { content?: string } = {}): Reply {
  return chatReply(opts.content ?? null, calls, opts);
}

/** Options of the Responses reply builders. */
export interface ResponsesReplyOptions {
  /** Reasoning summary text, emitted as a `reasoning` output item before the message. */
  reasoning?: string;
  /** Characters per `response.output_text.delta` (default 8). */
  chunkSize?: number;
  /** Pause between SSE events in ms (default 0). */
  delayMs?: number;
  /** Usage in Responses names (tokens); default estimated. */
  usage?: { input_tokens: number; output_tokens: number; total_tokens: number };
  /** Model echoed (default: the request's `model`). */
  model?: string;
  /** Function calls emitted after the text, as `function_call` output items. */
  toolCalls?: MockToolCall[];
  /** Streaming only: destroy the connection after this many events, without `response.completed`. */
  abortAfterEvents?: number;
}

/**
 * Responses API reply with assistant text (and optional reasoning / function calls). With `stream: true`
 * it sends the event sequence `response.created`, `response.in_progress`, per item
 * `response.output_item.added` … `response.output_item.done`, then `response.completed`; otherwise the
 * `response` object as JSON. Only answers `POST …/responses`.
 */
export function responsesText(text: string, opts: ResponsesReplyOptions = {}): Reply {
  return async (req, res) => {
    if (wrongEndpoint(req, res, '/responses')) return;
    const body = typeof req.body === 'object' && req.body !== null ? req.body : {};
    const respId = nextId('resp_');
    const model = opts.model ?? String(body.model ?? 'mock-model');
    const size = Math.max(1, opts.chunkSize ?? 8);
    const estimated = defaultUsage(req, (opts.reasoning ?? '') + text);
    const usage = opts.usage ?? {
      input_tokens: estimated.prompt_tokens,
      output_tokens: estimated.completion_tokens,
      total_tokens: estimated.total_tokens,
    };
    const fullUsage = { ...usage, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } };
    const items: any[] = [];
    if (opts.reasoning !== undefined) {
      items.push({ type: 'reasoning', id: nextId('rs_'), summary: [{ type: 'summary_text', text: opts.reasoning }] });
    }
    if (text !== '') {
      items.push({
        type: 'message',
        id: nextId('msg_'),
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text, annotations: [] }],
      });
    }
    for (const c of opts.toolCalls ?? []) {
      items.push({ type: 'function_call', id: nextId('fc_'), call_id: c.id ?? nextId('call_'), name: c.name, arguments: c.arguments, status: 'completed' });
    }
    const response = (status: string, output: unknown[], withUsage: boolean) => ({
      id: respId,
      object: 'response',
      created_at: Math.floor(Date.now() / 1000),
      status,
      model,
      output,
      usage: withUsage ? fullUsage : null,
    });

    if (body.stream !== true) {
      sendJson(res, 200, response('completed', items, true));
      return;
    }

    const delay = opts.delayMs ?? 0;
    let seq = 0;
    const event = async (type: string, data: Record<string, unknown>): Promise<boolean> => {
      if (opts.abortAfterEvents !== undefined && seq >= opts.abortAfterEvents) {
        await sleep(20);
        res.destroy();
        return false;
      }
      const frame = { type, sequence_number: seq++, ...data };
      return writeFrame(res, `event: ${type}\ndata: ${JSON.stringify(frame)}\n\n`, delay);
    };

    startSse(res);
    if (!(await event('response.created', { response: response('in_progress', [], false) }))) return;
    if (!(await event('response.in_progress', { response: response('in_progress', [], false) }))) return;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item.type === 'reasoning') {
        if (!(await event('response.output_item.added', { output_index: i, item: { ...item, summary: [] } }))) return;
        const t = item.summary[0].text as string;
        if (!(await event('response.reasoning_summary_part.added', { item_id: item.id, output_index: i, summary_index: 0, part: { type: 'summary_text', text: '' } }))) return;
        for (const piece of split(t, size)) {
          if (!(await event('response.reasoning_summary_text.delta', { item_id: item.id, output_index: i, summary_index: 0, delta: piece }))) return;
        }
        if (!(await event('response.reasoning_summary_text.done', { item_id: item.id, output_index: i, summary_index: 0, text: t }))) return;
        if (!(await event('response.reasoning_summary_part.done', { item_id: item.id, output_index: i, summary_index: 0, part: { type: 'summary_text', text: t } }))) return;
      } else if (item.type === 'message') {
        if (!(await event('response.output_item.added', { output_index: i, item: { ...item, status: 'in_progress', content: [] } }))) return;
        const part = { type: 'output_text', text: '', annotations: [] };
        if (!(await event('response.content_part.added', { item_id: item.id, output_index: i, content_index: 0, part }))) return;
        for (const piece of split(text, size)) {
          if (!(await event('response.output_text.delta', { item_id: item.id, output_index: i, content_index: 0, delta: piece, logprobs: [] }))) return;
        }
        if (!(await event('response.output_text.done', { item_id: item.id, output_index: i, content_index: 0, text, logprobs: [] }))) return;
        if (!(await event('response.content_part.done', { item_id: item.id, output_index: i, content_index: 0, part: { ...part, text } }))) return;
      } else {
        if (!(await event('response.output_item.added', { output_index: i, item: { ...item, arguments: '', status: 'in_progress' } }))) return;
        for (const piece of split(item.arguments, size)) {
          if (!(await event('response.function_call_arguments.delta', { item_id: item.id, output_index: i, delta: piece }))) return;
        }
        if (!(await event('response.function_call_arguments.done', { item_id: item.id, output_index: i, arguments: item.arguments }))) return;
      }
      if (!(await event('response.output_item.done', { output_index: i, item }))) return;
    }
    if (!(await event('response.completed', { response: response('completed', items, true) }))) return;
    if (!res.destroyed) res.end();
  };
}

/**
 * An HTTP error reply. `body` defaults to an OpenAI error object whose message names the status; pass a
 * string to send it verbatim as text/plain. `headers` e.g. `{ 'retry-after': '1' }`.
 */
export function errorReply(status: number, body?: unknown, headers: Record<string, string> = {}): Reply {
  return (_req, res) => {
    if (typeof body === 'string') {
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), ...headers });
      res.end(body);
      return;
    }
    const b = body ?? {
      error: { message: `mock upstream error (HTTP ${status})`, type: status >= 500 ? 'server_error' : 'invalid_request_error', param: null, code: null },
    };
    sendJson(res, status, b, headers);
  };
}

/**
 * Sends 200 + SSE headers and never finishes (for abort and timeout tests). The recorded request's
 * `aborted` becomes true when the client goes away. Sends an SSE comment every `keepAliveMs` (default
 * none) so idle timeouts can be told apart from header timeouts.
 */
export function hangReply(opts: { keepAliveMs?: number } = {}): Reply {
  return (_req, res) =>
    new Promise<void>((resolve) => {
      startSse(res);
      let timer: NodeJS.Timeout | undefined;
      if (opts.keepAliveMs !== undefined) timer = setInterval(() => res.write(': keep-alive\n\n'), opts.keepAliveMs);
      res.on('close', () => {
        if (timer) clearInterval(timer);
        resolve();
      });
    });
}

/**
 * Sends arbitrary SSE frames: each `{event?, data}` becomes `event: …` (if given) and `data: …` (objects
 * JSON-encoded, strings verbatim). Ends with `data: [DONE]` when `done` (default false).
 */
export function sseReply(frames: { event?: string; data: unknown }[], opts: { delayMs?: number; done?: boolean } = {}): Reply {
  return async (_req, res) => {
    startSse(res);
    for (const f of frames) {
      const data = typeof f.data === 'string' ? f.data : JSON.stringify(f.data);
      const text = (f.event !== undefined ? `event: ${f.event}\n` : '') + `data: ${data}\n\n`;
      if (!(await writeFrame(res, text, opts.delayMs ?? 0))) return;
    }
    if (!res.destroyed) res.end(opts.done ? 'data: [DONE]\n\n' : undefined);
  };
}

/** A JSON reply with any status and body (for odd upstreams). */
export function jsonReply(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return (_req, res) => sendJson(res, status, body, headers);
}

/** `GET …/models` in OpenAI's list shape for the given ids. */
export function modelsList(ids: string[]): Reply {
  return (_req, res) =>
    sendJson(res, 200, {
      object: 'list',
      data: ids.map((id) => ({ id, object: 'model', created: 1700000000, owned_by: 'mock' })),
    });
}
