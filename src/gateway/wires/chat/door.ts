/**
 * The Chat Completions door's request side: a client's `POST /v1/chat/completions` body -> {@link HubRequest}.
 * The answer side (hub events -> `chat.completion.chunk` SSE frames, or one `chat.completion`) is in
 * ./encoder.ts and re-exported here, so the proxy imports the whole door from this module.
 *
 * Mapping (OpenAI API reference, "Chat Completions: Create chat completion", request body):
 * - `messages`: the LEADING run of `system`/`developer` messages becomes the hub's `system` (texts joined by a
 *   blank line); a later system/developer message stays a hub system message in place.
 * - `user` content: a string, or parts (`text`, `image_url` with `detail`, `file` with `file_id` or
 *   `file_data`); text-only parts become one string (joined by "\n"). `input_audio` and unknown parts are
 *   dropped (listed in `dropped` as `content:<type>`).
 * - `assistant`: content (a string, null, or `text`/`refusal` parts, concatenated), `refusal` when there is no
 *   content, `tool_calls` -> hub tool calls (ids kept exactly, names mapped like the tool list; arguments as
 *   JSON text, an empty string becomes `{}`; a `custom` tool call becomes its function form
 *   `{"input": "<raw>"}`), the legacy `function_call` -> one call with the id `call_legacy_<message index>`,
 *   `reasoning_content` (DeepSeek, Qwen) or `reasoning` (OpenRouter, vLLM) -> one plain reasoning block. An
 *   assistant message with no text, reasoning or calls is left out (`messages:empty_assistant`).
 * - `tool` messages (content a string or `text` parts; `image_url` parts become media) are answers: each
 *   belongs to the nearest assistant message before it that made a call with its `tool_call_id`, and is moved
 *   right after that message, in call order (the hub's invariant, see hub/types.ts; Chat itself requires
 *   it: "messages with role 'tool' must be a response to a preceding message with 'tool_calls'"). A call
 *   nobody answered is answered with {@link NO_OUTPUT_TEXT}. A tool message answering no call (or a second
 *   answer to one call) becomes a user message `Output of tool call <id>:\n<text>`, so nothing is lost.
 *   Legacy `function` messages answer the latest unanswered legacy `function_call` (of the same name if any).
 * - `tools`: `function` tools (and the legacy `functions` list). Names matching `^[a-zA-Z0-9_-]{1,64}$` are
 *   kept; others are flattened by the translator's {@link flatToolName} (and de-duplicated), and the hub's
 *   `toolMap` maps them back for the answer. `custom` tools and other types have no flat-function form
 *   here and are dropped (`tools:custom`).
 * - `tool_choice` (`auto`/`none`/`required`, Mistral's `any` = required, `{type:"function", function:{name}}`,
 *   `allowed_tools` -> its mode); the legacy `function_call` when `tool_choice` is absent.
 * - `parallel_tool_calls`, `max_completion_tokens` (else `max_tokens`) -> maxOutputTokens, `temperature`,
 *   `top_p`, `reasoning_effort`, `response_format` (`text` = none, `json_object`, `json_schema`; a
 *   json_schema without `schema` = json_object), `stop` (string or array), `user`, `prompt_cache_key`,
 *   `stream`.
 * - Settings with no hub meaning (`seed`, `logprobs`, `top_logprobs`, `logit_bias`, `presence_penalty`,
 *   `frequency_penalty`, `modalities`, `audio`, `prediction`, `web_search_options`, `service_tier`,
 *   `store`, `metadata`, `verbosity`, `safety_identifier`, `prompt_cache_retention`) are listed in `dropped`
 *   when set. `stream_options` is read by the encoder from the request itself.
 * - Rejected (400): `n` other than 1 (the door answers with one choice).
 *
 * Every malformed field the answer depends on is a GatewayError 400 (`invalid_request_error`, `param` = the
 * field path, e.g. `messages[2].tool_calls[0].id`) whose message says what to send.
 */
import { randomBytes } from 'node:crypto';
import { GatewayError } from '../../errors';
import { NO_OUTPUT_TEXT, type HubMedia, type HubMessage, type HubPart, type HubReasoning, type HubRequest, type HubResponseFormat, type HubSettings, type HubTool, type HubToolCall, type HubToolChoice } from '../../hub/types';
import { jsonText, typeLabel, isObject } from '../../translate/safe';
import { ToolRegistry, flatToolName } from '../../translate/tools';

export { ChatEncoder, foldChatCompletion, chatFinishReason, chatUsage, isLegacyFunctions } from './encoder';

export { NO_OUTPUT_TEXT };

/** The parameter schema of a tool declared without one (an object with no properties). */
const EMPTY_PARAMETERS: Record<string, unknown> = { type: 'object', properties: {} };

/** A flat function name every wire accepts (OpenAI API reference, "Chat Completions: tools[].function.name"). */
const VALID_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** `image_url.detail` values Chat defines. */
const DETAILS = new Set(['auto', 'low', 'high']);

/** Request fields with no hub meaning: listed in `dropped` when set (not null). */
const IGNORED_FIELDS = [
  'seed',
  'logprobs',
  'top_logprobs',
  'logit_bias',
  'presence_penalty',
  'frequency_penalty',
  'modalities',
  'audio',
  'prediction',
  'web_search_options',
  'service_tier',
  'store',
  'metadata',
  'verbosity',
  'safety_identifier',
  'prompt_cache_retention',
] as const;

/** A new Chat completion id, `chatcmpl-` + 24 random hex characters (the prefix OpenAI's ids carry). */
export function newChatCompletionId(): string {
  return `chatcmpl-${randomBytes(12).toString('hex')}`;
}

function bad(message: string, param: string, code: string = 'invalid_value'): GatewayError {
  return new GatewayError(400, message, 'invalid_request_error', code, param);
}

/** A call of an assistant message before pairing, with where its answers are. */
interface PendingCall {
  call: HubToolCall;
  /** Index of the tool/function message that answers it (at most one; empty when unanswered). */
  answers: number[];
  /** For a legacy `function_call`: the function's name as the client wrote it. */
  legacyName?: string;
}

/**
 * Parses an OpenAI Chat Completions request into the hub request.
 * @param body The client's `POST /v1/chat/completions` body (already JSON-parsed; the request checker may
 *   or may not have run: every field read here is checked again).
 * @returns The normalised hub request (leading system text, paired tool messages, flat tool names and the
 *   map back, settings, `stream`, what was dropped).
 * @throws GatewayError 400 (`invalid_request_error`, `param` set, code `invalid_value`, `invalid_type`,
 *   `missing_required_parameter` or `unsupported_value`) on a malformed field, on `n` other than 1, on a tool
 *   call without `id`/`name`, on a tool message without `tool_call_id`, on an unknown role.
 */
export function parseChatRequest(body: Record<string, unknown>): HubRequest {
  if (!isObject(body)) throw bad('The request body must be a JSON object (an OpenAI Chat Completions request).', 'body', 'invalid_type');
  return new ChatParser(body).run();
}

class ChatParser {
  private readonly dropped = new Set<string>();
  private readonly registry = new ToolRegistry();
  private readonly tools: HubTool[] = [];
  private readonly offered = new Set<string>();
  private readonly messages: HubMessage[] = [];
  private readonly system: string[] = [];

  constructor(private readonly body: Record<string, unknown>) {}

  run(): HubRequest {
    const b = this.body;
    if (b.n !== undefined && b.n !== null && b.n !== 1) {
      throw bad(`'n' must be 1 for this model: the gateway answers with one choice (got ${typeLabel(b.n)}). Send n: 1 or leave it out, and send several requests for several answers.`, 'n', 'unsupported_value');
    }
    this.parseTools();
    this.parseMessages();
    const settings = this.parseSettings();
    for (const k of IGNORED_FIELDS) if (b[k] !== undefined && b[k] !== null) this.dropped.add(k);
    return {
      system: this.system.filter((s) => s.length > 0).join('\n\n'),
      messages: this.messages,
      tools: this.tools,
      toolMap: this.registry,
      settings,
      stream: b.stream === true,
      dropped: [...this.dropped],
    };
  }

  /* ---------------------------------------------------------------- tools */

  private parseTools(): void {
    const { tools, functions } = this.body;
    const list: Array<{ fn: unknown; param: string }> = [];
    if (tools !== undefined && tools !== null) {
      if (!Array.isArray(tools)) throw bad("'tools' must be an array of tools (e.g. [{\"type\": \"function\", \"function\": {\"name\": \"...\", \"parameters\": {...}}}]).", 'tools', 'invalid_type');
      for (let i = 0; i < tools.length; i++) {
        const t = tools[i];
        if (!isObject(t)) throw bad(`tools[${i}] must be a tool object with a 'type'.`, `tools[${i}]`, 'invalid_type');
        if (t.type === 'function') list.push({ fn: t.function, param: `tools[${i}].function` });
        else this.dropped.add(`tools:${typeLabel(t.type)}`);
      }
    }
    if (functions !== undefined && functions !== null) {
      if (!Array.isArray(functions)) throw bad("'functions' must be an array of function objects.", 'functions', 'invalid_type');
      for (let i = 0; i < functions.length; i++) list.push({ fn: functions[i], param: `functions[${i}]` });
    }
    for (const { fn, param } of list) {
      if (!isObject(fn) || typeof fn.name !== 'string' || !fn.name) {
        throw bad(`${param} must be an object with a non-empty 'name' (and optionally 'description' and 'parameters').`, `${param}.name`, 'missing_required_parameter');
      }
    }
    // Valid names are reserved first, so a flattened name that clashes with one gets the `_2` suffix.
    for (const { fn } of list) {
      const name = (fn as { name: string }).name;
      if (VALID_NAME.test(name)) this.registry.upstreamName('function', name);
    }
    for (const { fn, param } of list) {
      const f = fn as Record<string, unknown> & { name: string };
      const up = this.registry.upstreamName('function', f.name);
      if (this.offered.has(up)) continue; // a duplicate declaration: the first one stands
      this.offered.add(up);
      if (f.parameters !== undefined && f.parameters !== null && !isObject(f.parameters)) {
        throw bad(`${param}.parameters must be a JSON Schema object.`, `${param}.parameters`, 'invalid_type');
      }
      const tool: HubTool = { name: up, parameters: isObject(f.parameters) ? f.parameters : EMPTY_PARAMETERS };
      if (typeof f.description === 'string' && f.description) tool.description = f.description;
      if (typeof f.strict === 'boolean') tool.strict = f.strict;
      this.tools.push(tool);
    }
  }

  /* ---------------------------------------------------------------- messages */

  private parseMessages(): void {
    const raw = this.body.messages;
    if (!Array.isArray(raw) || raw.length === 0) {
      throw bad("'messages' must be a non-empty array of messages (e.g. [{\"role\": \"user\", \"content\": \"Hello\"}]).", 'messages', raw === undefined ? 'missing_required_parameter' : 'invalid_value');
    }
    for (let i = 0; i < raw.length; i++) {
      const m = raw[i];
      if (!isObject(m)) throw bad(`messages[${i}] must be a message object (e.g. {"role": "user", "content": "..."}).`, `messages[${i}]`, 'invalid_type');
      if (typeof m.role !== 'string') throw bad(`messages[${i}].role is required: one of system, developer, user, assistant, tool.`, `messages[${i}].role`, 'missing_required_parameter');
    }
    const msgs = raw as Array<Record<string, unknown>>;

    // Pass 1: the calls of every assistant message, and which later message answers which call.
    const callsOf = new Map<number, PendingCall[]>();
    /** call id -> the calls with that id of the latest assistant message that made one (they take the answers). */
    const open = new Map<string, PendingCall[]>();
    /** Legacy function calls still unanswered, in order. */
    const openLegacy: Array<{ name: string; pc: PendingCall }> = [];
    /** Indexes of the tool/function messages that answer a call (the others become user text). */
    const answered = new Set<number>();
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i];
      if (m.role === 'assistant') {
        const calls = this.assistantCalls(m, i);
        if (calls.length === 0) continue;
        callsOf.set(i, calls);
        // A new assistant message with the same call id takes over later answers (the nearest one wins).
        const byId = new Map<string, PendingCall[]>();
        for (const pc of calls) {
          const q = byId.get(pc.call.id);
          if (q) q.push(pc);
          else byId.set(pc.call.id, [pc]);
          if (pc.legacyName !== undefined) openLegacy.push({ name: pc.legacyName, pc });
        }
        for (const [id, q] of byId) open.set(id, q);
      } else if (m.role === 'tool') {
        const id = m.tool_call_id;
        if (typeof id !== 'string' || !id) throw bad(`messages[${i}] (role tool) needs a non-empty 'tool_call_id' naming the call it answers.`, `messages[${i}].tool_call_id`, 'missing_required_parameter');
        const q = open.get(id);
        const pc = q?.find((c) => c.answers.length === 0);
        if (pc) {
          pc.answers.push(i);
          answered.add(i);
        }
      } else if (m.role === 'function') {
        const name = typeof m.name === 'string' ? m.name : '';
        let k = -1;
        for (let j = openLegacy.length - 1; j >= 0 && k < 0; j--) if (openLegacy[j].name === name) k = j;
        if (k < 0) k = openLegacy.length - 1;
        if (k >= 0) {
          openLegacy[k].pc.answers.push(i);
          openLegacy.splice(k, 1);
          answered.add(i);
        }
      }
    }

    // Pass 2: the hub messages, each call answered right after its assistant message.
    let leading = true;
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i];
      const role = m.role as string;
      switch (role) {
        case 'system':
        case 'developer': {
          const text = this.textOf(m.content, `messages[${i}].content`, '\n', true);
          if (leading) this.system.push(text);
          else this.messages.push({ role: 'system', text });
          break;
        }
        case 'user':
          leading = false;
          if (m.content === undefined || m.content === null) throw bad(`messages[${i}].content is required for a user message: a string or an array of content parts.`, `messages[${i}].content`, 'missing_required_parameter');
          this.messages.push({ role: 'user', content: this.userContent(m.content, `messages[${i}].content`) });
          break;
        case 'assistant': {
          leading = false;
          const calls = callsOf.get(i) ?? [];
          const msg = this.assistant(m, i, calls);
          if (!msg) {
            this.dropped.add('messages:empty_assistant');
            break;
          }
          this.messages.push(msg);
          for (const pc of calls) {
            const j = pc.answers[0];
            if (j === undefined) this.messages.push({ role: 'tool', callId: pc.call.id, text: NO_OUTPUT_TEXT });
            else this.messages.push(this.toolMessage(pc.call.id, msgs[j], j));
          }
          break;
        }
        case 'tool':
        case 'function': {
          leading = false;
          if (answered.has(i)) break; // moved right after its assistant message
          // An answer without a call: keep its content as user text.
          const id = role === 'tool' ? (m.tool_call_id as string) : typeof m.name === 'string' && m.name ? m.name : 'function';
          const t = this.toolMessage(id, m, i);
          const label = role === 'tool' ? `Output of tool call ${id}:` : `Output of function ${id}:`;
          const text = `${label}\n${t.text}`;
          this.messages.push({ role: 'user', content: t.media?.length ? [{ type: 'text', text }, ...t.media] : text });
          break;
        }
        default:
          throw bad(`messages[${i}].role must be one of system, developer, user, assistant, tool (or the legacy function) (got ${JSON.stringify(role)}).`, `messages[${i}].role`);
      }
    }
  }

  /** The calls of an assistant message (`tool_calls`, or the legacy `function_call`), checked. */
  private assistantCalls(m: Record<string, unknown>, i: number): PendingCall[] {
    const out: PendingCall[] = [];
    const tc = m.tool_calls;
    if (tc !== undefined && tc !== null) {
      if (!Array.isArray(tc)) throw bad(`messages[${i}].tool_calls must be an array of tool calls.`, `messages[${i}].tool_calls`, 'invalid_type');
      for (let j = 0; j < tc.length; j++) {
        const c = tc[j];
        const p = `messages[${i}].tool_calls[${j}]`;
        if (!isObject(c)) throw bad(`${p} must be a tool call object {"id", "type": "function", "function": {"name", "arguments"}}.`, p, 'invalid_type');
        if (typeof c.id !== 'string' || !c.id) throw bad(`${p}.id is required: the id the tool message's tool_call_id refers to.`, `${p}.id`, 'missing_required_parameter');
        if (c.type === 'custom') {
          const cu = c.custom;
          if (!isObject(cu) || typeof cu.name !== 'string' || !cu.name) throw bad(`${p}.custom must be an object with a non-empty 'name' and an 'input' string.`, `${p}.custom.name`, 'missing_required_parameter');
          const input = typeof cu.input === 'string' ? cu.input : '';
          out.push({ call: { id: c.id, name: this.registry.upstreamName('custom', cu.name), arguments: JSON.stringify({ input }) }, answers: [] });
          continue;
        }
        if (c.type !== undefined && c.type !== null && c.type !== 'function') {
          this.dropped.add(`tool_calls:${typeLabel(c.type)}`);
          continue;
        }
        const f = c.function;
        if (!isObject(f) || typeof f.name !== 'string' || !f.name) throw bad(`${p}.function must be an object with a non-empty 'name' and 'arguments' (a JSON string).`, `${p}.function.name`, 'missing_required_parameter');
        out.push({ call: { id: c.id, name: this.registry.upstreamName('function', f.name), arguments: this.argumentsOf(f.arguments, `${p}.function.arguments`) }, answers: [] });
      }
    }
    if (out.length === 0 && m.function_call !== undefined && m.function_call !== null) {
      const f = m.function_call;
      const p = `messages[${i}].function_call`;
      if (!isObject(f) || typeof f.name !== 'string' || !f.name) throw bad(`${p} must be an object with a non-empty 'name' and 'arguments' (a JSON string).`, `${p}.name`, 'missing_required_parameter');
      out.push({ call: { id: `call_legacy_${i}`, name: this.registry.upstreamName('function', f.name), arguments: this.argumentsOf(f.arguments, `${p}.arguments`) }, answers: [], legacyName: f.name });
    }
    return out;
  }

  /** Arguments as JSON text: a string as is (empty -> `{}`), an object serialised. */
  private argumentsOf(v: unknown, param: string): string {
    if (typeof v === 'string') return v.trim() ? v : '{}';
    if (v === undefined || v === null) return '{}';
    if (isObject(v)) {
      const s = jsonText(v);
      if (s !== undefined) return s;
    }
    throw bad(`${param} must be a JSON string (the arguments object, serialised).`, param, 'invalid_type');
  }

  private assistant(m: Record<string, unknown>, i: number, calls: PendingCall[]): HubMessage | undefined {
    let text = m.content === undefined || m.content === null ? '' : this.textOf(m.content, `messages[${i}].content`, '', false);
    if (!text && typeof m.refusal === 'string') text = m.refusal;
    let reasoning: HubReasoning[] | undefined;
    const r = typeof m.reasoning_content === 'string' && m.reasoning_content ? m.reasoning_content : typeof m.reasoning === 'string' && m.reasoning ? m.reasoning : undefined;
    if (r !== undefined) reasoning = [{ text: r }];
    if (!text && !reasoning && calls.length === 0) return undefined;
    const msg: Extract<HubMessage, { role: 'assistant' }> = { role: 'assistant', text: text || null };
    if (reasoning) msg.reasoning = reasoning;
    if (calls.length) msg.toolCalls = calls.map((c) => c.call);
    return msg;
  }

  /** The hub tool message for a `tool` (or legacy `function`) message. */
  private toolMessage(callId: string, m: Record<string, unknown>, i: number): Extract<HubMessage, { role: 'tool' }> {
    const c = m.content;
    const param = `messages[${i}].content`;
    if (c === undefined || c === null) return { role: 'tool', callId, text: '' };
    if (typeof c === 'string') return { role: 'tool', callId, text: c };
    if (!Array.isArray(c)) throw bad(`${param} must be a string or an array of text parts.`, param, 'invalid_type');
    const texts: string[] = [];
    const media: HubMedia[] = [];
    for (let j = 0; j < c.length; j++) {
      const p = c[j];
      if (!isObject(p)) throw bad(`${param}[${j}] must be a content part object (e.g. {"type": "text", "text": "..."}).`, `${param}[${j}]`, 'invalid_type');
      if (p.type === 'text') texts.push(this.partText(p, `${param}[${j}]`));
      else if (p.type === 'image_url' || p.type === 'file') media.push(this.media(p, `${param}[${j}]`));
      else this.dropped.add(`content:${typeLabel(p.type)}`);
    }
    const t: Extract<HubMessage, { role: 'tool' }> = { role: 'tool', callId, text: texts.join('\n') };
    if (media.length) t.media = media;
    return t;
  }

  private partText(p: Record<string, unknown>, param: string): string {
    if (typeof p.text !== 'string') throw bad(`${param}.text must be a string.`, `${param}.text`, 'invalid_type');
    return p.text;
  }

  /** Text of system/assistant content: a string, or text (and, for assistants, refusal) parts. */
  private textOf(content: unknown, param: string, sep: string, system: boolean): string {
    if (typeof content === 'string') return content;
    if (content === undefined || content === null) {
      if (system) throw bad(`${param} is required: a string or an array of text parts.`, param, 'missing_required_parameter');
      return '';
    }
    if (!Array.isArray(content)) throw bad(`${param} must be a string or an array of content parts.`, param, 'invalid_type');
    const texts: string[] = [];
    for (let j = 0; j < content.length; j++) {
      const p = content[j];
      if (!isObject(p)) throw bad(`${param}[${j}] must be a content part object (e.g. {"type": "text", "text": "..."}).`, `${param}[${j}]`, 'invalid_type');
      if (p.type === 'text') texts.push(this.partText(p, `${param}[${j}]`));
      else if (!system && p.type === 'refusal' && typeof p.refusal === 'string') texts.push(p.refusal);
      else this.dropped.add(`content:${typeLabel(p.type)}`);
    }
    return texts.join(sep);
  }

  private userContent(content: unknown, param: string): string | HubPart[] {
    if (typeof content === 'string') return content;
    if (!Array.isArray(content)) throw bad(`${param} must be a string or an array of content parts.`, param, 'invalid_type');
    const parts: HubPart[] = [];
    let media = false;
    for (let j = 0; j < content.length; j++) {
      const p = content[j];
      const pp = `${param}[${j}]`;
      if (!isObject(p)) throw bad(`${pp} must be a content part object (e.g. {"type": "text", "text": "..."}).`, pp, 'invalid_type');
      if (p.type === 'text') parts.push({ type: 'text', text: this.partText(p, pp) });
      else if (p.type === 'image_url' || p.type === 'file') {
        parts.push(this.media(p, pp));
        media = true;
      } else this.dropped.add(`content:${typeLabel(p.type)}`);
    }
    if (media) return parts;
    return parts.map((p) => (p as { text: string }).text).join('\n');
  }

  /** An `image_url` or `file` part as hub media. */
  private media(p: Record<string, unknown>, param: string): HubMedia {
    if (p.type === 'image_url') {
      const iu = p.image_url;
      const url = typeof iu === 'string' ? iu : isObject(iu) ? iu.url : undefined;
      if (typeof url !== 'string' || !url) throw bad(`${param}.image_url.url must be a non-empty string (an https URL or a data: URL).`, `${param}.image_url.url`, 'missing_required_parameter');
      const detail = isObject(iu) ? iu.detail : undefined;
      return typeof detail === 'string' && DETAILS.has(detail) ? { type: 'image', url, detail: detail as 'auto' | 'low' | 'high' } : { type: 'image', url };
    }
    const f = p.file;
    if (!isObject(f) || (typeof f.file_id !== 'string' && typeof f.file_data !== 'string')) {
      throw bad(`${param}.file must be an object with 'file_id' or 'file_data' (base64 or a data: URL), and optionally 'filename'.`, `${param}.file`, 'missing_required_parameter');
    }
    const m: HubMedia = { type: 'file' };
    if (typeof f.file_id === 'string') m.fileId = f.file_id;
    if (typeof f.file_data === 'string') m.fileData = f.file_data;
    if (typeof f.filename === 'string') m.filename = f.filename;
    return m;
  }

  /* ---------------------------------------------------------------- settings */

  private parseSettings(): HubSettings {
    const b = this.body;
    const s: HubSettings = {};
    const maxKey = b.max_completion_tokens !== undefined && b.max_completion_tokens !== null ? 'max_completion_tokens' : 'max_tokens';
    const max = b[maxKey];
    if (max !== undefined && max !== null) {
      if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) throw bad(`'${maxKey}' must be a positive integer (tokens).`, maxKey);
      s.maxOutputTokens = max;
    }
    for (const [k, key] of [['temperature', 'temperature'], ['top_p', 'topP']] as const) {
      const v = b[k];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`'${k}' must be a finite number.`, k, 'invalid_type');
      s[key] = v;
    }
    if (b.reasoning_effort !== undefined && b.reasoning_effort !== null) {
      if (typeof b.reasoning_effort !== 'string') throw bad("'reasoning_effort' must be a string (minimal, low, medium, high, ...).", 'reasoning_effort', 'invalid_type');
      if (b.reasoning_effort) s.reasoningEffort = b.reasoning_effort;
    }
    const rf = this.responseFormat(b.response_format);
    if (rf) s.responseFormat = rf;
    if (b.parallel_tool_calls !== undefined && b.parallel_tool_calls !== null) {
      if (typeof b.parallel_tool_calls !== 'boolean') throw bad("'parallel_tool_calls' must be true or false.", 'parallel_tool_calls', 'invalid_type');
      s.parallelToolCalls = b.parallel_tool_calls;
    }
    const choice = b.tool_choice !== undefined && b.tool_choice !== null ? this.toolChoice(b.tool_choice) : this.legacyChoice(b.function_call);
    if (choice !== undefined) s.toolChoice = choice;
    const stop = b.stop;
    if (stop !== undefined && stop !== null) {
      const list = typeof stop === 'string' ? [stop] : stop;
      if (!Array.isArray(list) || list.some((x) => typeof x !== 'string')) throw bad("'stop' must be a string or an array of strings.", 'stop', 'invalid_type');
      const nonEmpty = (list as string[]).filter((x) => x.length > 0);
      if (nonEmpty.length) s.stop = nonEmpty;
    }
    for (const [k, key] of [['user', 'user'], ['prompt_cache_key', 'promptCacheKey']] as const) {
      const v = b[k];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'string') throw bad(`'${k}' must be a string.`, k, 'invalid_type');
      if (v) s[key] = v;
    }
    return s;
  }

  private responseFormat(v: unknown): HubResponseFormat | undefined {
    if (v === undefined || v === null) return undefined;
    if (!isObject(v)) throw bad("'response_format' must be an object: {\"type\": \"text\"}, {\"type\": \"json_object\"} or {\"type\": \"json_schema\", \"json_schema\": {\"name\", \"schema\"}}.", 'response_format', 'invalid_type');
    switch (v.type) {
      case 'text':
        return undefined;
      case 'json_object':
        return { type: 'json_object' };
      case 'json_schema': {
        const js = v.json_schema;
        if (!isObject(js) || typeof js.name !== 'string' || !js.name) throw bad("'response_format.json_schema' must be an object with a non-empty 'name' and a 'schema'.", 'response_format.json_schema.name', 'missing_required_parameter');
        if (js.schema === undefined || js.schema === null) return { type: 'json_object' };
        if (!isObject(js.schema)) throw bad("'response_format.json_schema.schema' must be a JSON Schema object.", 'response_format.json_schema.schema', 'invalid_type');
        const f: HubResponseFormat = { type: 'json_schema', name: js.name, schema: js.schema };
        if (typeof js.description === 'string') f.description = js.description;
        if (typeof js.strict === 'boolean') f.strict = js.strict;
        return f;
      }
      default:
        throw bad(`'response_format.type' ${JSON.stringify(typeLabel(v.type))} is not supported; use text, json_object or json_schema.`, 'response_format.type');
    }
  }

  private toolChoice(v: unknown): HubToolChoice | undefined {
    if (v === 'auto' || v === 'none' || v === 'required') return v;
    if (v === 'any') return 'required'; // Mistral's (and Anthropic's) name for "must call a tool"
    if (isObject(v)) {
      if (v.type === 'function') {
        const f = v.function;
        if (!isObject(f) || typeof f.name !== 'string' || !f.name) throw bad("'tool_choice.function.name' must name one of the tools.", 'tool_choice.function.name', 'missing_required_parameter');
        return { name: this.registry.upstreamName('function', f.name) };
      }
      if (v.type === 'allowed_tools') {
        this.dropped.add('tool_choice.allowed_tools');
        const a = v.allowed_tools;
        return isObject(a) && a.mode === 'required' ? 'required' : 'auto';
      }
      this.dropped.add(`tool_choice:${typeLabel(v.type)}`);
      return 'auto';
    }
    throw bad(`'tool_choice' must be "auto", "none", "required" or {"type": "function", "function": {"name": "..."}} (got ${typeof v === 'string' ? JSON.stringify(v) : typeLabel(v)}).`, 'tool_choice');
  }

  /** The legacy `function_call` request parameter ("none", "auto", or {name}). */
  private legacyChoice(v: unknown): HubToolChoice | undefined {
    if (v === undefined || v === null) return undefined;
    if (v === 'auto' || v === 'none') return v;
    if (isObject(v) && typeof v.name === 'string' && v.name) return { name: this.registry.upstreamName('function', v.name) };
    throw bad(`'function_call' must be "auto", "none" or {"name": "..."}; better, use 'tools' and 'tool_choice'.`, 'function_call');
  }
}

/** Re-exported for tests and the proxy: the name flattening the door applies to invalid tool names. */
export { flatToolName };
