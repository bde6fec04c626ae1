/**
 * The upstream wires of the end-to-end table (codex.test.ts), one {@link WireKit} each. A kit says, for
 * its wire, how to start its mock upstream, how to script every answer kind the table needs (streamed
 * text, tool calls resolved against the tools Codex offered, reasoning, 429, overload, a stream that
 * hangs), and how to read what the upstream received, normalised into a {@link SeenRequest} so one
 * assertion serves every wire while each kit keeps its wire's own terms:
 *
 * | wire        | mock                              | tool call / result in history          | reasoning sent back                 |
 * |-------------|-----------------------------------|----------------------------------------|-------------------------------------|
 * | `chat`      | MockUpstream (Chat Completions)   | assistant `tool_calls` / `role: tool`  | `reasoning_content` (DeepSeek)      |
 * | `responses` | MockUpstream (Responses, relayed) | `function_call`, `custom_tool_call` / `*_output` | the upstream's own `reasoning` item, `encrypted_content` as issued |
 * | `messages`  | AnthropicMock (strict validator)  | `tool_use` / `tool_result` (next user turn) | `thinking` block with its `signature` |
 *
 * The `messages` deployment is an `anthropic/` model without `wire_api` (the provider's default wire).
 * Nothing here asserts: the table does. Everything listens on 127.0.0.1 only.
 */
import type { ServerResponse } from 'node:http';
import {
  AnthropicMock,
  messageReply,
  overloadedReply,
  rateLimitReply,
  sseEvent,
  type AnthropicReply,
  type AnthropicRequest,
  type MockBlock,
} from '../helpers/anthropic-mock';
import { MockUpstream, chatText, chatToolCalls, errorReply, responsesText, type RecordedRequest, type Reply } from '../helpers/mock-upstream';

/** An upstream wire of the gateway (the `wire_api` of a deployment). */
export type UpstreamWire = 'chat' | 'responses' | 'messages';

/** A tool Codex offered, as the upstream saw it. */
export interface SeenTool {
  name: string;
  /** `function` (a JSON-schema tool) or `custom` (Responses freeform tool, e.g. apply_patch). */
  kind: 'function' | 'custom';
  /** The JSON schema of a function tool's arguments. */
  schema?: any;
}

/** A tool call in the conversation history an upstream received. */
export interface SeenCall {
  id: string;
  name: string;
  kind: 'function' | 'custom';
  /** Parsed arguments of a function call / tool_use (undefined when not a JSON object). */
  args?: Record<string, unknown>;
  /** The raw argument text (function), the JSON of `input` (tool_use), or the freeform input (custom). */
  text: string;
  /** Index of the message / input item that carries it. */
  at: number;
}

/** A tool result in the conversation history an upstream received. */
export interface SeenResult {
  id: string;
  output: string;
  at: number;
}

/** Reasoning sent back to an upstream in the conversation history. */
export interface SeenReasoning {
  text: string;
  /** Anthropic thinking signature. */
  signature?: string;
  /** Responses `encrypted_content`, Anthropic redacted `data`. */
  opaque?: string;
  at: number;
}

/** One model request an upstream received, in wire-neutral terms (the raw body stays available). */
export interface SeenRequest {
  wire: UpstreamWire;
  path: string;
  headers: Record<string, string>;
  body: any;
  /** True when the client closed the connection before the answer finished. */
  aborted: boolean;
  /** When the request head arrived (ms since epoch). */
  receivedAt: number;
  /** Upstream model name in the body. */
  model: string;
  stream: boolean;
  /** System / developer instructions text. */
  system: string;
  /** Text of every user turn (tool results excluded). */
  userText: string;
  tools: SeenTool[];
  calls: SeenCall[];
  results: SeenResult[];
  reasoning: SeenReasoning[];
  /**
   * The wire's own rules about where tool results and reasoning may stand, broken in this request (empty
   * = fine): chat, a `tool` message not directly after the assistant message that made its call;
   * responses, an output before its call; messages, everything the strict Anthropic mock rejected.
   */
  problems: string[];
}

/** A call the mock model makes; the kit finds Codex's tool for it in the request. */
export type ScriptedCall = { id: string; shell: string } | { id: string; patch: string };

/** Reasoning the mock model emits, as the upstream will see it come back. */
export interface ScriptedReasoning {
  text: string;
  signature?: string;
  opaque?: string;
}

/** A running mock upstream of one wire, with its script and its record. */
export interface WireMock {
  readonly wire: UpstreamWire;
  /** The deployment's `api_base`. */
  readonly apiBase: string;
  /** Enqueues a streamed text answer (optionally after reasoning). */
  text(text: string, opts?: { reasoning?: string }): void;
  /**
   * Enqueues an answer making `calls` (all in one answer: parallel calls), optionally after reasoning;
   * returns the reasoning exactly as it must come back on the next turn.
   */
  calls(calls: ScriptedCall[], opts?: { reasoning?: string }): ScriptedReasoning | undefined;
  /**
   * Enqueues a streamed text answer whose connection is destroyed after its first pieces of text (no
   * terminal event: no `[DONE]`, `response.completed` or `message_stop`).
   */
  cut(text: string): void;
  /** Enqueues a 429 rate-limit answer with `Retry-After: retryAfterS`. */
  rateLimited(retryAfterS: number): void;
  /** Every answer from now on is the wire's overload error (503, Anthropic: 529 `overloaded_error`). */
  overloadedAlways(): void;
  /** Status of the overload error. */
  readonly overloadStatus: number;
  /**
   * Enqueues a streamed answer that sends its start and `pieces` of text, calls `onSent` once they are on
   * the socket, then never ends (until the client goes away).
   */
  streamThenHang(pieces: string[], onSent: () => void): void;
  /** The model requests received so far (`POST` to the wire's endpoint), normalised. */
  requests(): SeenRequest[];
  /** HTTP statuses the mock answered to model requests, in order (undefined while unanswered). */
  statuses(): (number | undefined)[];
  /** True when the request carried the right key in the wire's header. */
  authorized(q: SeenRequest, key: string): boolean;
  close(): Promise<void>;
}

/** How the table uses one upstream wire. */
export interface WireKit {
  wire: UpstreamWire;
  /** `litellm_params.model` of the deployment (`provider/model`). */
  model: string;
  /** The model name the upstream must receive. */
  upstreamModel: string;
  /**
   * The deployment's `wire_api`, or undefined when the provider's default wire is this one (an
   * `anthropic/` model speaks `messages` without saying so).
   */
  wireApi: UpstreamWire | undefined;
  /** Environment variable of the provider key. */
  keyEnv: string;
  /** Whether a turn's parallel calls share one message in this wire (chat, messages) or are items (responses). */
  callsShareTurn: boolean;
  /** Starts the wire's mock accepting only `key`. */
  start(key: string): Promise<WireMock>;
}

/* ------------------------------------------------------------------------------------------------ */

/** Text of content given as a string or as parts with `text`. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p: any) => (typeof p?.text === 'string' ? p.text : typeof p?.content === 'string' ? p.content : '')).join('');
  return '';
}

function parseArgs(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The argument object that runs `command` with Codex's shell tool (Codex 0.169 with `shell_type:
 * unified_exec` offers `exec_command` with a string `cmd`).
 * @throws when no shell tool was offered.
 */
export function shellArgs(tools: SeenTool[], command: string): { name: string; args: Record<string, unknown> } {
  const shell = tools.find((t) => t.kind === 'function' && ['exec_command', 'shell_command', 'shell'].includes(t.name));
  if (!shell) throw new Error(`no shell tool offered; tools: ${tools.map((t) => t.name).join(', ')}`);
  const param = ['cmd', 'command'].find((p) => shell.schema?.properties?.[p]);
  if (!param) throw new Error(`shell tool ${shell.name} has no cmd/command parameter`);
  return { name: shell.name, args: { [param]: shell.schema.properties[param].type === 'array' ? ['bash', '-lc', command] : command } };
}

/**
 * How to call apply_patch with `patch` given the tools offered: a Responses `custom` tool takes the patch
 * as its input; a function form (chat, messages) must have exactly one string parameter.
 * @throws when apply_patch is missing or not in one of those shapes.
 */
export function patchCall(tools: SeenTool[], patch: string): { kind: 'custom'; name: string; input: string } | { kind: 'function'; name: string; args: Record<string, unknown> } {
  const t = tools.find((x) => x.name === 'apply_patch');
  if (!t) throw new Error(`apply_patch not offered; tools: ${tools.map((x) => `${x.kind}:${x.name}`).join(', ')}`);
  if (t.kind === 'custom') return { kind: 'custom', name: t.name, input: patch };
  const props = Object.entries<any>(t.schema?.properties ?? {});
  if (props.length !== 1 || props[0]![1]?.type !== 'string') throw new Error(`apply_patch is not a one-string function: ${JSON.stringify(t.schema)}`);
  return { kind: 'function', name: t.name, args: { [props[0]![0]]: patch } };
}

/** The patch text a recorded apply_patch call carried (custom input, or the one string argument). */
export function patchOf(call: SeenCall): string | undefined {
  if (call.kind === 'custom') return call.text;
  const values = Object.values(call.args ?? {});
  return values.length === 1 && typeof values[0] === 'string' ? values[0] : undefined;
}

/** Resolves a scripted call against the offered tools: name plus JSON arguments (function) or input (custom). */
function resolveCall(tools: SeenTool[], c: ScriptedCall): { id: string; name: string; kind: 'function' | 'custom'; args?: Record<string, unknown>; input?: string } {
  if ('shell' in c) return { id: c.id, kind: 'function', ...shellArgs(tools, c.shell) };
  const p = patchCall(tools, c.patch);
  return p.kind === 'custom' ? { id: c.id, kind: 'custom', name: p.name, input: p.input } : { id: c.id, kind: 'function', name: p.name, args: p.args };
}

/* ----------------------------------------- chat ------------------------------------------------- */

function chatTools(body: any): SeenTool[] {
  return (body?.tools ?? []).filter((t: any) => t?.type === 'function').map((t: any) => ({ name: t.function?.name, kind: 'function' as const, schema: t.function?.parameters }));
}

/** Normalises a Chat Completions request body. */
export function seeChat(q: RecordedRequest): SeenRequest {
  const msgs: any[] = Array.isArray(q.body?.messages) ? q.body.messages : [];
  const calls: SeenCall[] = [];
  const results: SeenResult[] = [];
  const reasoning: SeenReasoning[] = [];
  const problems: string[] = [];
  msgs.forEach((m, i) => {
    if (m.role === 'assistant') {
      for (const tc of m.tool_calls ?? []) {
        const text = String(tc.function?.arguments ?? '');
        calls.push({ id: tc.id, name: tc.function?.name, kind: 'function', args: parseArgs(text), text, at: i });
      }
      if (typeof m.reasoning_content === 'string' && m.reasoning_content) reasoning.push({ text: m.reasoning_content, at: i });
    } else if (m.role === 'tool') {
      results.push({ id: m.tool_call_id, output: textOf(m.content), at: i });
      // Chat Completions: tool messages follow the assistant message that made the calls, nothing between.
      let j = i - 1;
      while (j >= 0 && msgs[j].role === 'tool') j--;
      const asst = msgs[j];
      if (!asst || asst.role !== 'assistant' || !(asst.tool_calls ?? []).some((tc: any) => tc.id === m.tool_call_id)) {
        problems.push(`messages.${i}: tool message for ${m.tool_call_id} does not directly follow the assistant message that made the call`);
      }
    }
  });
  return {
    wire: 'chat',
    path: q.path,
    headers: q.headers,
    body: q.body,
    aborted: q.aborted,
    receivedAt: q.receivedAt,
    model: q.body?.model,
    stream: q.body?.stream === true,
    system: msgs.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => textOf(m.content)).join('\n'),
    userText: msgs.filter((m) => m.role === 'user').map((m) => textOf(m.content)).join('\n'),
    tools: chatTools(q.body),
    calls,
    results,
    reasoning,
    problems,
  };
}

/** The Chat Completions wire (DeepSeek-style, translated by the gateway). */
export const CHAT_KIT: WireKit = {
  wire: 'chat',
  model: 'deepseek/deepseek-chat',
  upstreamModel: 'deepseek-chat',
  wireApi: 'chat',
  keyEnv: 'DEEPSEEK_API_KEY',
  callsShareTurn: true,
  async start(key) {
    const up = await MockUpstream.start({ name: 'chat-upstream', apiKey: key });
    return openAiMock('chat', up, key, '/chat/completions', seeChat, {
      text: (text, reasoning) => chatText(text, { reasoning, chunkSize: 5 }),
      // The role chunk and three pieces of text, then the connection dies.
      cut: (text) => chatText(text, { chunkSize: 5, abortAfterChunks: 4 }),
      calls: (calls, reasoning) => {
        const reply: Reply = (req, res) => {
          const tools = chatTools(req.body);
          const resolved = calls.map((c) => resolveCall(tools, c));
          return chatToolCalls(
            resolved.map((r) => ({ id: r.id, name: r.name, arguments: JSON.stringify(r.args) })),
            { chunkSize: 7, reasoning },
          )(req, res);
        };
        return { reply, back: reasoning === undefined ? undefined : { text: reasoning } };
      },
      hang: (pieces, onSent) => (req, res) =>
        hangAfter(res, () => {
          const base = { id: 'chatcmpl-e2e-hang', object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: String(req.body.model) };
          const frame = (delta: Record<string, unknown>) => `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: null }] })}\n\n`;
          return frame({ role: 'assistant', content: '' }) + pieces.map((p) => frame({ content: p })).join('');
        }, onSent),
    });
  },
};

/* --------------------------------------- responses ---------------------------------------------- */

function responsesTools(body: any): SeenTool[] {
  return (body?.tools ?? [])
    .filter((t: any) => t?.type === 'function' || t?.type === 'custom')
    .map((t: any) => ({ name: t.name, kind: t.type, schema: t.type === 'function' ? t.parameters : undefined }));
}

/** Normalises a Responses API request body. */
export function seeResponses(q: RecordedRequest): SeenRequest {
  const input: any[] = Array.isArray(q.body?.input) ? q.body.input : [];
  const calls: SeenCall[] = [];
  const results: SeenResult[] = [];
  const reasoning: SeenReasoning[] = [];
  const problems: string[] = [];
  input.forEach((it, i) => {
    if (it.type === 'function_call') calls.push({ id: it.call_id, name: it.name, kind: 'function', args: parseArgs(String(it.arguments ?? '')), text: String(it.arguments ?? ''), at: i });
    else if (it.type === 'custom_tool_call') calls.push({ id: it.call_id, name: it.name, kind: 'custom', text: String(it.input ?? ''), at: i });
    else if (it.type === 'function_call_output' || it.type === 'custom_tool_call_output') {
      results.push({ id: it.call_id, output: typeof it.output === 'string' ? it.output : textOf(it.output), at: i });
      if (!calls.some((c) => c.id === it.call_id)) problems.push(`input.${i}: ${it.type} for ${it.call_id} comes before (or without) its call`);
    } else if (it.type === 'reasoning') {
      const r: SeenReasoning = { text: (it.summary ?? []).map((s: any) => s?.text ?? '').join(''), at: i };
      if (typeof it.encrypted_content === 'string') r.opaque = it.encrypted_content;
      reasoning.push(r);
    }
  });
  const messages = input.filter((it) => it.type === 'message' || (it.type === undefined && it.role));
  return {
    wire: 'responses',
    path: q.path,
    headers: q.headers,
    body: q.body,
    aborted: q.aborted,
    receivedAt: q.receivedAt,
    model: q.body?.model,
    stream: q.body?.stream === true,
    system: [q.body?.instructions ?? '', ...messages.filter((m) => m.role === 'developer' || m.role === 'system').map((m) => textOf(m.content))].join('\n'),
    userText: messages.filter((m) => m.role === 'user').map((m) => textOf(m.content)).join('\n'),
    tools: responsesTools(q.body),
    calls,
    results,
    reasoning,
    problems,
  };
}

let itemCounter = 0;
const itemId = (prefix: string) => `${prefix}e2e${Date.now().toString(36)}${(++itemCounter).toString(36)}`;

/**
 * A streamed Responses answer with arbitrary output items (reasoning with `encrypted_content`,
 * `function_call`, `custom_tool_call`), with the events OpenAI sends for each: `output_item.added`, the
 * item's deltas (summary text, function arguments, custom tool input), `output_item.done`, then
 * `response.completed`.
 */
function responsesItems(items: any[]): Reply {
  return async (req, res) => {
    if (!req.path.endsWith('/responses')) throw new Error(`a Responses reply got ${req.path}`);
    const response = (status: string, output: unknown[]) => ({
      id: itemId('resp_'),
      object: 'response',
      created_at: Math.floor(Date.now() / 1000),
      status,
      model: String(req.body?.model),
      output,
      usage: status === 'completed' ? { input_tokens: 10, output_tokens: 5, total_tokens: 15, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } } : null,
    });
    let seq = 0;
    const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
    const frames: string[] = [ev('response.created', { response: response('in_progress', []) })];
    items.forEach((item, i) => {
      if (item.type === 'reasoning') {
        frames.push(ev('response.output_item.added', { output_index: i, item: { ...item, summary: [] } }));
        const t = item.summary[0].text as string;
        frames.push(ev('response.reasoning_summary_part.added', { item_id: item.id, output_index: i, summary_index: 0, part: { type: 'summary_text', text: '' } }));
        for (let k = 0; k < t.length; k += 9) frames.push(ev('response.reasoning_summary_text.delta', { item_id: item.id, output_index: i, summary_index: 0, delta: t.slice(k, k + 9) }));
        frames.push(ev('response.reasoning_summary_text.done', { item_id: item.id, output_index: i, summary_index: 0, text: t }));
        frames.push(ev('response.reasoning_summary_part.done', { item_id: item.id, output_index: i, summary_index: 0, part: { type: 'summary_text', text: t } }));
      } else if (item.type === 'function_call') {
        frames.push(ev('response.output_item.added', { output_index: i, item: { ...item, arguments: '', status: 'in_progress' } }));
        for (let k = 0; k < item.arguments.length; k += 9) frames.push(ev('response.function_call_arguments.delta', { item_id: item.id, output_index: i, delta: item.arguments.slice(k, k + 9) }));
        frames.push(ev('response.function_call_arguments.done', { item_id: item.id, output_index: i, arguments: item.arguments }));
      } else if (item.type === 'custom_tool_call') {
        frames.push(ev('response.output_item.added', { output_index: i, item: { ...item, input: '', status: 'in_progress' } }));
        for (let k = 0; k < item.input.length; k += 11) frames.push(ev('response.custom_tool_call_input.delta', { item_id: item.id, output_index: i, delta: item.input.slice(k, k + 11) }));
        frames.push(ev('response.custom_tool_call_input.done', { item_id: item.id, output_index: i, input: item.input }));
      }
      frames.push(ev('response.output_item.done', { output_index: i, item }));
    });
    frames.push(ev('response.completed', { response: response('completed', items) }));
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const f of frames) {
      if (res.destroyed) return;
      await new Promise<void>((r) => res.write(f, () => r()));
    }
    res.end();
  };
}

/** The OpenAI Responses wire (relayed byte for byte by the gateway). */
export const RESPONSES_KIT: WireKit = {
  wire: 'responses',
  model: 'openai/gpt-4.1-mini',
  upstreamModel: 'gpt-4.1-mini',
  wireApi: 'responses',
  keyEnv: 'OPENAI_API_KEY',
  callsShareTurn: false,
  async start(key) {
    const up = await MockUpstream.start({ name: 'responses-upstream', apiKey: key });
    return openAiMock('responses', up, key, '/responses', seeResponses, {
      text: (text, reasoning) => responsesText(text, { reasoning, chunkSize: 6 }),
      // created, in_progress, output_item.added, content_part.added and two text deltas, then the connection dies.
      cut: (text) => responsesText(text, { chunkSize: 6, abortAfterEvents: 6 }),
      calls: (calls, reasoning) => {
        // An opaque blob as OpenAI would issue it: it must come back byte for byte, and nothing of the
        // gateway's own (cgw1:/cgw2:) may be added.
        const back: ScriptedReasoning | undefined = reasoning === undefined ? undefined : { text: reasoning, opaque: `gAAAAB-e2e-opaque-${itemId('')}==` };
        const reply: Reply = (req, res) => {
          const tools = responsesTools(req.body);
          const items: any[] = [];
          if (back) items.push({ type: 'reasoning', id: itemId('rs_'), summary: [{ type: 'summary_text', text: back.text }], encrypted_content: back.opaque });
          for (const c of calls.map((x) => resolveCall(tools, x))) {
            items.push(
              c.kind === 'custom'
                ? { type: 'custom_tool_call', id: itemId('ctc_'), call_id: c.id, name: c.name, input: c.input, status: 'completed' }
                : { type: 'function_call', id: itemId('fc_'), call_id: c.id, name: c.name, arguments: JSON.stringify(c.args), status: 'completed' },
            );
          }
          return responsesItems(items)(req, res);
        };
        return { reply, back };
      },
      hang: (pieces, onSent) => (req, res) =>
        hangAfter(res, () => {
          const response = { id: 'resp_e2e_hang', object: 'response', created_at: Math.floor(Date.now() / 1000), status: 'in_progress', model: String(req.body.model), output: [] };
          let seq = 0;
          const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
          let out = ev('response.created', { response });
          out += ev('response.output_item.added', { output_index: 0, item: { type: 'message', id: 'msg_e2e_hang', status: 'in_progress', role: 'assistant', content: [] } });
          out += ev('response.content_part.added', { item_id: 'msg_e2e_hang', output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
          for (const p of pieces) out += ev('response.output_text.delta', { item_id: 'msg_e2e_hang', output_index: 0, content_index: 0, delta: p, logprobs: [] });
          return out;
        }, onSent),
    });
  },
};

/** Writes the SSE head and `frames()`, calls `onSent` once they are on the socket, resolves when the client leaves. */
function hangAfter(res: ServerResponse, frames: () => string, onSent: () => void): Promise<void> {
  return new Promise<void>((resolve) => {
    res.on('close', () => resolve());
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(frames(), () => onSent());
  });
}

/** A {@link WireMock} over a {@link MockUpstream} (chat and responses differ only in these pieces). */
function openAiMock(
  wire: 'chat' | 'responses',
  up: MockUpstream,
  key: string,
  endpoint: string,
  see: (q: RecordedRequest) => SeenRequest,
  replies: {
    text(text: string, reasoning: string | undefined): Reply;
    cut(text: string): Reply;
    calls(calls: ScriptedCall[], reasoning: string | undefined): { reply: Reply; back: ScriptedReasoning | undefined };
    hang(pieces: string[], onSent: () => void): Reply;
  },
): WireMock {
  const statuses = new Map<RecordedRequest, number>();
  // Records the status each model request was answered with.
  const tracked = (r: Reply): Reply => (req, res) => {
    res.once('finish', () => statuses.set(req, res.statusCode));
    res.once('close', () => statuses.set(req, res.statusCode));
    return r(req, res);
  };
  const model = () => up.requestsTo(endpoint).filter((q) => q.method === 'POST');
  return {
    wire,
    apiBase: up.baseUrl,
    overloadStatus: 503,
    text: (text, opts = {}) => void up.enqueue(tracked(replies.text(text, opts.reasoning))),
    cut: (text) => void up.enqueue(tracked(replies.cut(text))),
    calls: (calls, opts = {}) => {
      const { reply, back } = replies.calls(calls, opts.reasoning);
      up.enqueue(tracked(reply));
      return back;
    },
    rateLimited: (s) =>
      void up.enqueue(tracked(errorReply(429, { error: { message: 'Rate limit reached for requests (mock).', type: 'requests', param: null, code: 'rate_limit_exceeded' } }, { 'retry-after': String(s) }))),
    overloadedAlways: () => void up.setFallback(tracked(errorReply(503, { error: { message: 'The server is overloaded (mock).', type: 'server_error', param: null, code: null } }))),
    streamThenHang: (pieces, onSent) => void up.enqueue(tracked(replies.hang(pieces, onSent))),
    requests: () => model().map(see),
    // MockUpstream answers a wrong key with 401 before any scripted reply.
    statuses: () => model().map((q) => (q.headers.authorization !== `Bearer ${key}` ? 401 : statuses.get(q))),
    authorized: (q, key) => q.headers.authorization === `Bearer ${key}`,
    close: () => up.close(),
  };
}

/* ---------------------------------------- messages ---------------------------------------------- */

function messagesTools(body: any): SeenTool[] {
  return (body?.tools ?? []).filter((t: any) => typeof t?.name === 'string' && t.input_schema).map((t: any) => ({ name: t.name, kind: 'function' as const, schema: t.input_schema }));
}

/** Normalises an Anthropic Messages request (its `problems` are what the strict mock rejected). */
export function seeMessages(q: AnthropicRequest): SeenRequest {
  const msgs: any[] = Array.isArray(q.body?.messages) ? q.body.messages : [];
  const calls: SeenCall[] = [];
  const results: SeenResult[] = [];
  const reasoning: SeenReasoning[] = [];
  const user: string[] = [];
  msgs.forEach((m, i) => {
    const blocks: any[] = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : Array.isArray(m.content) ? m.content : [];
    for (const b of blocks) {
      if (b.type === 'tool_use') calls.push({ id: b.id, name: b.name, kind: 'function', args: b.input, text: JSON.stringify(b.input), at: i });
      else if (b.type === 'tool_result') results.push({ id: b.tool_use_id, output: textOf(b.content), at: i });
      else if (b.type === 'thinking') reasoning.push({ text: b.thinking, signature: b.signature, at: i });
      else if (b.type === 'redacted_thinking') reasoning.push({ text: '', opaque: b.data, at: i });
      else if (b.type === 'text' && m.role === 'user') user.push(b.text);
    }
  });
  const sys = q.body?.system;
  return {
    wire: 'messages',
    path: q.path,
    headers: q.headers,
    body: q.body,
    aborted: q.aborted,
    receivedAt: q.receivedAt,
    model: q.body?.model,
    stream: q.body?.stream === true,
    system: typeof sys === 'string' ? sys : textOf(sys),
    userText: user.join('\n'),
    tools: messagesTools(q.body),
    calls,
    results,
    reasoning,
    problems: q.problems.slice(),
  };
}

/** The Anthropic Messages wire (translated by the gateway), against the strict Anthropic mock. */
export const MESSAGES_KIT: WireKit = {
  wire: 'messages',
  model: 'anthropic/claude-sonnet-4-5',
  upstreamModel: 'claude-sonnet-4-5',
  wireApi: undefined,
  keyEnv: 'ANTHROPIC_API_KEY',
  callsShareTurn: true,
  async start(key) {
    const api = await AnthropicMock.start({ apiKey: key, name: 'anthropic-upstream' });
    const model = () => api.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/v1/messages'));
    return {
      wire: 'messages',
      apiBase: api.origin,
      overloadStatus: 529,
      text: (text, opts = {}) =>
        void api.enqueue(messageReply([...(opts.reasoning ? [{ type: 'thinking', thinking: opts.reasoning } as MockBlock] : []), { type: 'text', text }], { chunkSize: 5 })),
      calls: (calls, opts = {}) => {
        // Issued now (and so recorded as issued): Anthropic verifies it when it comes back.
        const back: ScriptedReasoning | undefined = opts.reasoning === undefined ? undefined : { text: opts.reasoning, signature: api.issueSignature() };
        const reply: AnthropicReply = (req, res, mock) => {
          const tools = messagesTools(req.body);
          const blocks: MockBlock[] = back ? [{ type: 'thinking', thinking: back.text, signature: back.signature! }] : [];
          for (const c of calls.map((x) => resolveCall(tools, x))) {
            if (c.kind !== 'function') throw new Error(`the messages wire has no custom tools, got ${c.name} as ${c.kind}`);
            blocks.push({ type: 'tool_use', id: c.id, name: c.name, input: c.args! });
          }
          return messageReply(blocks, { stopReason: 'tool_use', chunkSize: 7 })(req, res, mock);
        };
        api.enqueue(reply);
        return back;
      },
      // message_start, ping, content_block_start and three text deltas, then the connection dies.
      cut: (text) => void api.enqueue(messageReply([{ type: 'text', text }], { chunkSize: 5, cutAfterEvents: 6 })),
      rateLimited: (s) => void api.enqueue(rateLimitReply(s)),
      overloadedAlways: () => void api.setFallback(overloadedReply()),
      streamThenHang: (pieces, onSent) =>
        void api.enqueue((req, res) =>
          hangAfter(res, () => {
            let out = sseEvent({ type: 'message_start', message: { id: 'msg_e2e_hang', type: 'message', role: 'assistant', model: String(req.body.model), content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 10, output_tokens: 1 } } });
            out += sseEvent({ type: 'ping' });
            out += sseEvent({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
            for (const p of pieces) out += sseEvent({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: p } });
            return out;
          }, onSent),
        ),
      requests: () => model().map(seeMessages),
      statuses: () => model().map((q) => q.status),
      authorized: (q, key) => q.headers['x-api-key'] === key && typeof q.headers['anthropic-version'] === 'string' && q.headers.authorization === undefined,
      close: () => api.close(),
    };
  },
};

/** Every upstream wire's kit: the columns of the table. */
export const WIRE_KITS: readonly WireKit[] = [CHAT_KIT, RESPONSES_KIT, MESSAGES_KIT];
