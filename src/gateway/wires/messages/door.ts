/**
 * The Anthropic Messages door's request side: a client's `POST /v1/messages` body (as Claude Code 2.1.328
 * sends it, see shared/notes/claude-code-wire.md and shared/fixtures/claude-code-2.1.328-requests.json) ->
 * {@link HubRequest}, for deployments on another wire (a deployment on the Messages wire is relayed and
 * never parsed). The answer side is in ./door-encoder.ts and the relay observer in ./relay.ts; both are
 * re-exported here, so the proxy imports the whole door from this module.
 *
 * Mapping (Anthropic API reference, "Messages": request body; "Tool use"; "Extended thinking"):
 * - `system`: a string or text blocks, joined by a blank line; Claude Code's attribution block
 *   (`x-anthropic-billing-header: …`, which changes on every request and would break upstream prompt
 *   caching) is left out (`system:billing_header`); `cache_control` is dropped everywhere (a Messages-only
 *   field). A `role: "system"` message inside `messages` (Claude Code sends its environment block that way)
 *   is a hub system message in place; system messages before any other message join the hub's `system`.
 * - user content (a string or blocks): `text`; `image` (base64 source -> `data:` URL, url source -> URL);
 *   `document` (base64 PDF -> a file with a `data:` URL and the title as filename; a text or content
 *   source -> text, headed by its title); `tool_result` blocks -> hub `tool` messages (see pairing below);
 *   other blocks are left out (`content:<type>`). A text-only user message is one string (texts joined by
 *   "\n"). A user message left empty (only tool results) produces no user message.
 * - assistant content (a string or blocks): `thinking` -> a HubReasoning with its `signature`, except a
 *   signature the gateway wrote itself ({@link ownThinkingSignature}: reasoning of a translated upstream),
 *   which becomes the plain reasoning it encodes (no signature); `redacted_thinking` -> `{text: "",
 *   redacted: data}`; `text` blocks joined by a blank line; `tool_use` -> a hub call (id restored by
 *   {@link hubCallIdOf}, name mapped like the tools, `arguments` = the JSON text of `input`). Server tool
 *   blocks (`server_tool_use`, `*_tool_result`) are left out (`content:<type>`). An assistant message with
 *   nothing left is skipped (`messages:empty_assistant`).
 * - Pairing (the hub invariant, hub/types.ts; Anthropic: every `tool_use` is answered by a `tool_result` in
 *   the next user message): the tool_result blocks of the first user message after an assistant message
 *   (system messages in between are skipped over) answer that message's calls; they become tool messages
 *   right after the assistant message, in call order; a call without a result is answered with
 *   {@link NO_OUTPUT_TEXT}. A tool_result answering no call of that assistant message (or a second result
 *   for one call) becomes user text `Output of tool call <id>:\n<text>` in place, so nothing is lost.
 *   tool_result content: a string, or `text` blocks (joined by "\n") and `image` / `document` blocks (media);
 *   `is_error: true` -> `isError`.
 * - `tools`: custom tools (`{name, description, input_schema}`, `type` absent or `custom`); the beta fields
 *   `defer_loading`, `strict`, `eager_input_streaming`, `cache_control`, `input_examples` are dropped
 *   (`tools.<field>`; notes, bridge point 7). Names matching `^[a-zA-Z0-9_-]{1,64}$` are kept, others are
 *   flattened (translate/tools.ts) and mapped back in the answer. Anthropic-defined CLIENT tools (docs,
 *   "Tool reference": executed by the client, schema defined by Anthropic) get their published input schema:
 *   `bash_*`, `text_editor_*`, `memory_*`. SERVER tools (`web_search_*`, `web_fetch_*`, `code_execution_*`,
 *   `advisor_*`, `tool_search_tool_*`, `mcp_toolset`), computer use (`computer_*`: screenshots and actions a
 *   non-Claude model is not trained for) and unknown tool types are a 400: they run on Anthropic's servers
 *   or need Claude (notes, bridge point 10; CCR#597). The same goes for `mcp_servers` (Anthropic's MCP
 *   connector).
 * - `tool_choice`: auto -> auto, any -> required, tool -> `{name}`, none -> none;
 *   `disable_parallel_tool_use: true` -> `parallelToolCalls: false`.
 * - `max_tokens` -> maxOutputTokens; `temperature`; `top_p` -> topP; `stop_sequences` -> stop;
 *   `metadata.user_id` -> user ({@link hubUserOf}: hashed when longer than 64 characters); `stream`.
 * - Reasoning effort: `output_config.effort` when present (Anthropic `max` -> `xhigh`, the hub's highest
 *   effort); else by `thinking`: `enabled` -> by `budget_tokens` (<= 1024 minimal, <= 4096 low, <= 8192
 *   medium, else high), `adaptive` -> medium, `disabled` -> `none`. `thinking: disabled` wins over an
 *   effort (the client asked for no thinking). Claude Code always sends adaptive thinking with
 *   `effort: "high"`, for any model name (notes, "Body").
 * - `output_config.format` (`{type: "json_schema", schema}`) -> responseFormat json_schema named `output`.
 * - Left out and listed in `dropped`: `context_management`, `top_k`, `service_tier`, `container`,
 *   `inference_geo`, `thinking.display`, unknown top-level fields (by name).
 *
 * Every malformed field is a GatewayError 400 (`invalid_request_error`, `param` = the field path, e.g.
 * `messages[2].content[0].tool_use_id`) whose message says what to send.
 */
import { createHash } from 'node:crypto';
import { GatewayError } from '../../errors';
import { NO_OUTPUT_TEXT, type HubMedia, type HubMessage, type HubPart, type HubReasoning, type HubRequest, type HubResponseFormat, type HubSettings, type HubTool, type HubToolCall, type HubToolChoice } from '../../hub/types';
import { decodeReasoningBlock } from '../../translate/reasoning';
import { jsonText, typeLabel, isObject } from '../../translate/safe';
import { ToolRegistry } from '../../translate/tools';
import type { DoorAdapter, EncodeContext } from '../types';
import { foldMessage, hubCallIdOf, MessagesEncoder, newMessageId } from './door-encoder';
import { MessagesRelay } from './relay';

export {
  MessagesEncoder,
  foldMessage,
  newMessageId,
  messagesDoorToolId,
  hubCallIdOf,
  ownThinkingSignature,
  messagesStopReason,
  MESSAGES_PING_FRAME,
} from './door-encoder';
export { MessagesRelay } from './relay';

export { NO_OUTPUT_TEXT };

/** Claude Code's per-request attribution line in `system` (notes, "Body"). */
const BILLING_HEADER = /^\s*x-anthropic-billing-header:/i;

/** Tool definition fields with no meaning outside Anthropic (notes, bridge point 7). */
const BETA_TOOL_FIELDS = ['defer_loading', 'strict', 'eager_input_streaming', 'cache_control', 'input_examples'] as const;

/** Top-level fields the door reads (the rest is listed in `dropped` by name). */
const KNOWN_FIELDS = new Set([
  'model',
  'messages',
  'system',
  'tools',
  'tool_choice',
  'max_tokens',
  'temperature',
  'top_p',
  'stop_sequences',
  'metadata',
  'thinking',
  'output_config',
  'stream',
  'mcp_servers',
]);

/** Anthropic server tools by `type` prefix (docs, "Tool reference": execution "Server"). */
const SERVER_TOOL = /^(web_search_|web_fetch_|code_execution_|advisor_|tool_search_tool_|mcp_toolset)/;

/** Anthropic-defined client tools the door can describe to another model (docs, "Bash tool", "Text editor tool", "Memory tool"). */
const CLIENT_TOOL_SCHEMAS: ReadonlyArray<{ prefix: string; description: string; parameters: Record<string, unknown> }> = [
  {
    prefix: 'bash_',
    description: 'Run a command in a persistent bash shell. Set restart to true to restart the shell.',
    parameters: { type: 'object', properties: { command: { type: 'string', description: 'The bash command to run.' }, restart: { type: 'boolean', description: 'Restart the shell.' } } },
  },
  {
    prefix: 'text_editor_',
    description:
      'View, create and edit files. Commands: view (a file or directory; view_range [start, end] lines), create (path, file_text), str_replace (path, old_str, new_str; old_str must match exactly once), insert (path, insert_line, insert_text or new_str).',
    parameters: {
      type: 'object',
      properties: {
        command: { type: 'string', enum: ['view', 'create', 'str_replace', 'insert', 'undo_edit'] },
        path: { type: 'string' },
        file_text: { type: 'string' },
        old_str: { type: 'string' },
        new_str: { type: 'string' },
        insert_line: { type: 'integer' },
        insert_text: { type: 'string' },
        view_range: { type: 'array', items: { type: 'integer' } },
      },
      required: ['command', 'path'],
    },
  },
  {
    prefix: 'memory_',
    description:
      'A persistent memory directory (/memories). Commands: view (path, view_range), create (path, file_text), str_replace (path, old_str, new_str), insert (path, insert_line, insert_text), delete (path), rename (old_path, new_path).',
    parameters: {
      type: 'object',
      properties: {
        command: { type: 'string', enum: ['view', 'create', 'str_replace', 'insert', 'delete', 'rename'] },
        path: { type: 'string' },
        file_text: { type: 'string' },
        old_str: { type: 'string' },
        new_str: { type: 'string' },
        insert_line: { type: 'integer' },
        insert_text: { type: 'string' },
        view_range: { type: 'array', items: { type: 'integer' } },
        old_path: { type: 'string' },
        new_path: { type: 'string' },
      },
      required: ['command'],
    },
  },
];

/** Longest `user` passed on as it is (OpenAI rejects longer `user` values; OpenRouter's limit is 128). */
const MAX_USER = 64;

/**
 * The hub `user` for Anthropic's `metadata.user_id`: kept when it is at most 64 characters; a longer one
 * becomes `uid-` + the first 32 hex digits of its SHA-256 (stable per user, so upstream abuse monitoring
 * still sees one user). Claude Code sends a ~150-character JSON text with its device id, account and
 * session (fixtures), which OpenAI-wire upstreams reject as `user` (OpenAI: 64 characters, see
 * maximhq/bifrost#1000; OpenRouter: 128, ujisati/claude-code-provider-proxy#11) and which should not leave
 * the gateway verbatim anyway.
 */
export function hubUserOf(userId: string): string {
  if (userId.length <= MAX_USER) return userId;
  return `uid-${createHash('sha256').update(userId, 'utf8').digest('hex').slice(0, 32)}`;
}

/** The parameter schema of a tool declared without one. */
const EMPTY_PARAMETERS: Record<string, unknown> = { type: 'object', properties: {} };

function bad(message: string, param: string, code: string = 'invalid_value'): GatewayError {
  return new GatewayError(400, message, 'invalid_request_error', code, param);
}

/** A received value for a "(got …)" message: a string quoted as JSON, anything else by its {@link typeLabel} (absent -> `null`). */
function shown(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : typeLabel(v ?? null);
}

/**
 * The hub effort for an extended-thinking budget (tokens): <= 1024 minimal, <= 4096 low, <= 8192 medium,
 * else high (the inverse of the Anthropic upstream's EFFORT_BUDGET steps).
 */
export function effortForBudget(budget: number): string {
  if (budget <= 1024) return 'minimal';
  if (budget <= 4096) return 'low';
  if (budget <= 8192) return 'medium';
  return 'high';
}

/**
 * Parses an Anthropic Messages request into the hub request (see the module notes for every rule).
 * @param body the client's `POST /v1/messages` body, JSON-parsed; every field read is checked.
 * @returns the normalised hub request (system text, paired tool messages, flat tool names and the map
 *   back, settings, `stream`, what was dropped).
 * @throws GatewayError 400 `invalid_request_error` with `param` set: code `invalid_type` /
 *   `missing_required_parameter` / `invalid_value` for a malformed field (no `messages`, an unknown role, a
 *   block without its required fields, a tool without `name`, ...), `unsupported_value` for a server tool,
 *   computer use, an unknown tool type, `mcp_servers`, an image given by file id or a document by URL.
 */
export function parseMessagesRequest(body: Record<string, unknown>): HubRequest {
  if (!isObject(body)) throw bad('The request body must be a JSON object (an Anthropic Messages request).', 'body', 'invalid_type');
  return new MessagesParser(body).run();
}

/** One tool_use of an assistant message, with its result once found. */
interface Pending {
  call: HubToolCall;
  result?: Extract<HubMessage, { role: 'tool' }>;
}

class MessagesParser {
  private readonly dropped = new Set<string>();
  private readonly registry = new ToolRegistry();
  private readonly tools: HubTool[] = [];
  private readonly system: string[] = [];
  private readonly messages: HubMessage[] = [];
  private readonly model: string;

  constructor(private readonly body: Record<string, unknown>) {
    this.model = typeof body.model === 'string' ? body.model : '';
  }

  run(): HubRequest {
    const b = this.body;
    if (b.mcp_servers !== undefined && b.mcp_servers !== null && !(Array.isArray(b.mcp_servers) && b.mcp_servers.length === 0)) {
      throw bad(
        `'mcp_servers' (Anthropic's MCP connector) runs on Anthropic's servers and cannot be served by model '${this.model}', which is not an Anthropic model. Remove 'mcp_servers' (connect the MCP servers in your client instead), or use a Claude model.`,
        'mcp_servers',
        'unsupported_value',
      );
    }
    this.parseTools();
    this.parseSystem();
    this.parseMessages();
    const settings = this.parseSettings();
    for (const k of Object.keys(b)) if (!KNOWN_FIELDS.has(k) && b[k] !== undefined && b[k] !== null) this.dropped.add(k);
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
    const tools = this.body.tools;
    if (tools === undefined || tools === null) return;
    if (!Array.isArray(tools)) throw bad('\'tools\' must be an array of tools (e.g. [{"name": "get_weather", "description": "...", "input_schema": {"type": "object", "properties": {...}}}]).', 'tools', 'invalid_type');
    const list: Array<{ name: string; description?: string; parameters: Record<string, unknown> }> = [];
    for (let i = 0; i < tools.length; i++) {
      const t = tools[i];
      const p = `tools[${i}]`;
      if (!isObject(t)) throw bad(`${p} must be a tool object ({"name", "description", "input_schema"}).`, p, 'invalid_type');
      if (typeof t.name !== 'string' || !t.name) throw bad(`${p}.name is required: a non-empty tool name.`, `${p}.name`, 'missing_required_parameter');
      for (const f of BETA_TOOL_FIELDS) if (t[f] !== undefined) this.dropped.add(`tools.${f}`);
      const type = t.type;
      if (type === undefined || type === null || type === 'custom') {
        if (t.input_schema !== undefined && t.input_schema !== null && !isObject(t.input_schema)) {
          throw bad(`${p}.input_schema must be a JSON Schema object (e.g. {"type": "object", "properties": {...}}).`, `${p}.input_schema`, 'invalid_type');
        }
        if (t.description !== undefined && t.description !== null && typeof t.description !== 'string') throw bad(`${p}.description must be a string.`, `${p}.description`, 'invalid_type');
        list.push({ name: t.name, description: typeof t.description === 'string' && t.description ? t.description : undefined, parameters: isObject(t.input_schema) ? t.input_schema : EMPTY_PARAMETERS });
        continue;
      }
      if (typeof type !== 'string') throw bad(`${p}.type must be a string (leave it out for a custom tool).`, `${p}.type`, 'invalid_type');
      const known = CLIENT_TOOL_SCHEMAS.find((c) => type.startsWith(c.prefix));
      if (known) {
        list.push({ name: t.name, description: known.description, parameters: known.parameters });
        continue;
      }
      const what = SERVER_TOOL.test(type)
        ? `is an Anthropic server tool: it runs on Anthropic's servers, which model '${this.model}' (not an Anthropic model) does not use`
        : type.startsWith('computer_')
          ? `(computer use) needs a Claude model trained for it, and model '${this.model}' is not an Anthropic model`
          : `is a tool type the gateway cannot offer to model '${this.model}' (not an Anthropic model)`;
      throw bad(`Tool '${t.name}' of type '${type}' ${what}. Remove this tool from the request, or use a Claude model for it.`, `${p}.type`, 'unsupported_value');
    }
    // Valid names are reserved first, so a flattened name that clashes with one gets a suffix.
    for (const t of list) if (/^[a-zA-Z0-9_-]{1,64}$/.test(t.name)) this.registry.upstreamName('function', t.name);
    const offered = new Set<string>();
    for (const t of list) {
      const up = this.registry.upstreamName('function', t.name);
      if (offered.has(up)) continue; // a duplicate declaration: the first one stands
      offered.add(up);
      const tool: HubTool = { name: up, parameters: t.parameters };
      if (t.description) tool.description = t.description;
      this.tools.push(tool);
    }
  }

  /* ---------------------------------------------------------------- system */

  private parseSystem(): void {
    const s = this.body.system;
    if (s === undefined || s === null) return;
    for (const text of this.systemTexts(s, 'system')) this.system.push(text);
  }

  /** The texts of a `system` value or a system message's content (billing header left out). */
  private systemTexts(v: unknown, param: string): string[] {
    if (typeof v === 'string') return BILLING_HEADER.test(v) ? (this.dropped.add('system:billing_header'), []) : [v];
    if (!Array.isArray(v)) throw bad(`${param} must be a string or an array of text blocks ({"type": "text", "text": "..."}).`, param, 'invalid_type');
    const out: string[] = [];
    for (let i = 0; i < v.length; i++) {
      const b = v[i];
      if (!isObject(b) || b.type !== 'text' || typeof b.text !== 'string') {
        throw bad(`${param}[${i}] must be a text block ({"type": "text", "text": "..."}).`, `${param}[${i}]`, 'invalid_type');
      }
      if (BILLING_HEADER.test(b.text)) {
        this.dropped.add('system:billing_header');
        continue;
      }
      out.push(b.text);
    }
    return out;
  }

  /* ---------------------------------------------------------------- messages */

  private parseMessages(): void {
    const raw = this.body.messages;
    if (!Array.isArray(raw) || raw.length === 0) {
      throw bad('\'messages\' must be a non-empty array of messages (e.g. [{"role": "user", "content": "Hello"}]).', 'messages', raw === undefined ? 'missing_required_parameter' : 'invalid_value');
    }
    for (let i = 0; i < raw.length; i++) {
      const m = raw[i];
      if (!isObject(m)) throw bad(`messages[${i}] must be a message object (e.g. {"role": "user", "content": "..."}).`, `messages[${i}]`, 'invalid_type');
      if (m.role !== 'user' && m.role !== 'assistant' && m.role !== 'system') {
        throw bad(`messages[${i}].role must be "user" or "assistant" (or "system") (got ${shown(m.role)}).`, `messages[${i}].role`, m.role === undefined ? 'missing_required_parameter' : 'invalid_value');
      }
      if (typeof m.content !== 'string' && !Array.isArray(m.content)) {
        throw bad(`messages[${i}].content is required: a string or an array of content blocks.`, `messages[${i}].content`, m.content === undefined ? 'missing_required_parameter' : 'invalid_type');
      }
    }
    const msgs = raw as Array<{ role: 'user' | 'assistant' | 'system'; content: string | unknown[] }>;
    /** Calls of the latest assistant message, waiting for the next user message's results. */
    let pending: Pending[] | null = null;
    /** Where the pending calls' tool messages go (right after their assistant message). */
    let pendingAt = -1;
    let leading = true;
    const closePending = (): void => {
      if (!pending) return;
      const tools: HubMessage[] = pending.map((p) => p.result ?? { role: 'tool', callId: p.call.id, text: NO_OUTPUT_TEXT });
      this.messages.splice(pendingAt, 0, ...tools);
      pending = null;
    };
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i]!;
      if (m.role === 'system') {
        const texts = this.systemTexts(m.content, `messages[${i}].content`);
        if (leading) for (const t of texts) this.system.push(t);
        else if (texts.length) this.messages.push({ role: 'system', text: texts.join('\n\n') });
        continue;
      }
      leading = false;
      if (m.role === 'assistant') {
        closePending();
        const parsed = this.assistant(m.content, i);
        if (!parsed) {
          this.dropped.add('messages:empty_assistant');
          continue;
        }
        this.messages.push(parsed);
        const calls = parsed.toolCalls ?? [];
        if (calls.length) {
          pending = calls.map((call) => ({ call }));
          pendingAt = this.messages.length;
        }
        continue;
      }
      // user
      this.user(m.content, i, pending);
      closePending();
    }
    closePending();
  }

  /** A user message: its tool results answer `pending` (or become text); the rest is one user message. */
  private user(content: string | unknown[], i: number, pending: Pending[] | null): void {
    if (typeof content === 'string') {
      this.messages.push({ role: 'user', content });
      return;
    }
    const parts: HubPart[] = [];
    for (let j = 0; j < content.length; j++) {
      const b = content[j];
      const p = `messages[${i}].content[${j}]`;
      if (!isObject(b) || typeof b.type !== 'string') throw bad(`${p} must be a content block with a 'type' (text, image, document, tool_result).`, p, 'invalid_type');
      switch (b.type) {
        case 'text':
          if (typeof b.text !== 'string') throw bad(`${p}.text must be a string.`, `${p}.text`, 'invalid_type');
          parts.push({ type: 'text', text: b.text });
          break;
        case 'image':
          parts.push(this.image(b, p));
          break;
        case 'document':
          parts.push(this.document(b, p));
          break;
        case 'tool_result': {
          if (typeof b.tool_use_id !== 'string' || !b.tool_use_id) throw bad(`${p}.tool_use_id is required: the id of the tool_use block this result answers.`, `${p}.tool_use_id`, 'missing_required_parameter');
          const id = hubCallIdOf(b.tool_use_id);
          const msg = this.toolResult(id, b, p);
          const slot = pending?.find((x) => x.call.id === id && !x.result);
          if (slot) {
            slot.result = msg;
            break;
          }
          // A result answering no call of the previous assistant message: kept as user text.
          parts.push({ type: 'text', text: `Output of tool call ${id}:\n${msg.text}` });
          for (const media of msg.media ?? []) parts.push(media);
          break;
        }
        default:
          this.dropped.add(`content:${typeLabel(b.type)}`);
      }
    }
    if (parts.length === 0) return;
    if (parts.every((x) => x.type === 'text')) this.messages.push({ role: 'user', content: parts.map((x) => (x as { text: string }).text).join('\n') });
    else this.messages.push({ role: 'user', content: parts });
  }

  private toolResult(callId: string, b: Record<string, unknown>, p: string): Extract<HubMessage, { role: 'tool' }> {
    const texts: string[] = [];
    const media: HubMedia[] = [];
    const c = b.content;
    if (typeof c === 'string') texts.push(c);
    else if (Array.isArray(c)) {
      for (let k = 0; k < c.length; k++) {
        const x = c[k];
        const q = `${p}.content[${k}]`;
        if (!isObject(x) || typeof x.type !== 'string') throw bad(`${q} must be a content block (text or image).`, q, 'invalid_type');
        if (x.type === 'text') {
          if (typeof x.text !== 'string') throw bad(`${q}.text must be a string.`, `${q}.text`, 'invalid_type');
          texts.push(x.text);
        } else if (x.type === 'image') media.push(this.image(x, q));
        else if (x.type === 'document') {
          const d = this.document(x, q);
          if (d.type === 'text') texts.push(d.text);
          else media.push(d);
        } else this.dropped.add(`tool_result:${typeLabel(x.type)}`);
      }
    } else if (c !== undefined && c !== null) throw bad(`${p}.content must be a string or an array of text/image blocks.`, `${p}.content`, 'invalid_type');
    const msg: Extract<HubMessage, { role: 'tool' }> = { role: 'tool', callId, text: texts.join('\n') };
    if (media.length) msg.media = media;
    if (b.is_error === true) msg.isError = true;
    return msg;
  }

  private image(b: Record<string, unknown>, p: string): HubMedia {
    const s = b.source;
    if (!isObject(s)) throw bad(`${p}.source is required: {"type": "base64", "media_type": "image/png", "data": "..."} or {"type": "url", "url": "https://..."}.`, `${p}.source`, 'missing_required_parameter');
    if (s.type === 'base64') {
      if (typeof s.media_type !== 'string' || typeof s.data !== 'string' || !s.data) throw bad(`${p}.source needs 'media_type' (e.g. "image/png") and base64 'data'.`, `${p}.source`, 'invalid_value');
      return { type: 'image', url: `data:${s.media_type};base64,${s.data}` };
    }
    if (s.type === 'url') {
      if (typeof s.url !== 'string' || !/^https?:\/\//i.test(s.url)) throw bad(`${p}.source.url must be an http(s) URL.`, `${p}.source.url`, 'invalid_value');
      return { type: 'image', url: s.url };
    }
    throw bad(
      `${p}.source of type ${typeLabel(s.type)} cannot be sent to model '${this.model}' (not an Anthropic model: Anthropic file ids are not readable there). Send the image inline (base64) or as an http(s) URL.`,
      `${p}.source.type`,
      'unsupported_value',
    );
  }

  /** A `document` block: a PDF file, or text (text and content sources). */
  private document(b: Record<string, unknown>, p: string): HubPart {
    const s = b.source;
    const title = typeof b.title === 'string' && b.title ? b.title : undefined;
    if (!isObject(s)) throw bad(`${p}.source is required: {"type": "base64", "media_type": "application/pdf", "data": "..."} or {"type": "text", "media_type": "text/plain", "data": "..."}.`, `${p}.source`, 'missing_required_parameter');
    if (s.type === 'base64') {
      if (typeof s.data !== 'string' || !s.data) throw bad(`${p}.source.data must be the base64 document.`, `${p}.source.data`, 'invalid_value');
      const mt = typeof s.media_type === 'string' && s.media_type ? s.media_type : 'application/pdf';
      const f: HubMedia = { type: 'file', fileData: `data:${mt};base64,${s.data}` };
      if (title) f.filename = title;
      return f;
    }
    if (s.type === 'text') {
      if (typeof s.data !== 'string') throw bad(`${p}.source.data must be the document text.`, `${p}.source.data`, 'invalid_type');
      return { type: 'text', text: title ? `${title}\n\n${s.data}` : s.data };
    }
    if (s.type === 'content' && Array.isArray(s.content)) {
      const texts = s.content.filter((x): x is { text: string } => isObject(x) && x.type === 'text' && typeof x.text === 'string').map((x) => x.text);
      return { type: 'text', text: [title, ...texts].filter((x) => x).join('\n\n') };
    }
    throw bad(
      `${p}.source of type ${typeLabel(s.type)} cannot be sent to model '${this.model}' (not an Anthropic model: it cannot fetch document URLs or Anthropic file ids). Send the document inline (base64 PDF or text).`,
      `${p}.source.type`,
      'unsupported_value',
    );
  }

  /** An assistant message as a hub message, or null when nothing is left. */
  private assistant(content: string | unknown[], i: number): Extract<HubMessage, { role: 'assistant' }> | null {
    if (typeof content === 'string') return content ? { role: 'assistant', text: content } : null;
    const texts: string[] = [];
    const reasoning: HubReasoning[] = [];
    const calls: HubToolCall[] = [];
    for (let j = 0; j < content.length; j++) {
      const b = content[j];
      const p = `messages[${i}].content[${j}]`;
      if (!isObject(b) || typeof b.type !== 'string') throw bad(`${p} must be a content block with a 'type' (text, thinking, redacted_thinking, tool_use).`, p, 'invalid_type');
      switch (b.type) {
        case 'text':
          if (typeof b.text !== 'string') throw bad(`${p}.text must be a string.`, `${p}.text`, 'invalid_type');
          if (b.text) texts.push(b.text);
          break;
        case 'thinking': {
          const text = typeof b.thinking === 'string' ? b.thinking : '';
          const sig = typeof b.signature === 'string' ? b.signature : '';
          const own = sig ? decodeReasoningBlock(sig) : undefined;
          if (own) reasoning.push(own);
          else if (sig) reasoning.push({ text, signature: sig });
          else if (text) reasoning.push({ text });
          break;
        }
        case 'redacted_thinking':
          if (typeof b.data !== 'string' || !b.data) throw bad(`${p}.data is required: the redacted_thinking block's data, as received.`, `${p}.data`, 'missing_required_parameter');
          reasoning.push({ text: '', redacted: b.data });
          break;
        case 'tool_use': {
          if (typeof b.id !== 'string' || !b.id) throw bad(`${p}.id is required: the tool_use id its tool_result refers to.`, `${p}.id`, 'missing_required_parameter');
          if (typeof b.name !== 'string' || !b.name) throw bad(`${p}.name is required: the name of the tool called.`, `${p}.name`, 'missing_required_parameter');
          const input = b.input === undefined || b.input === null ? {} : b.input;
          calls.push({ id: hubCallIdOf(b.id), name: this.registry.upstreamName('function', b.name), arguments: typeof input === 'string' ? input : (jsonText(input) ?? '{}') });
          break;
        }
        default:
          this.dropped.add(`content:${typeLabel(b.type)}`);
      }
    }
    if (!texts.length && !reasoning.length && !calls.length) return null;
    const msg: Extract<HubMessage, { role: 'assistant' }> = { role: 'assistant', text: texts.length ? texts.join('\n\n') : null };
    if (reasoning.length) msg.reasoning = reasoning;
    if (calls.length) msg.toolCalls = calls;
    return msg;
  }

  /* ---------------------------------------------------------------- settings */

  private parseSettings(): HubSettings {
    const b = this.body;
    const s: HubSettings = {};
    if (b.max_tokens !== undefined && b.max_tokens !== null) {
      if (typeof b.max_tokens !== 'number' || !Number.isInteger(b.max_tokens) || b.max_tokens < 1) throw bad(`'max_tokens' must be a positive integer (got ${typeLabel(b.max_tokens)}).`, 'max_tokens', 'invalid_value');
      s.maxOutputTokens = b.max_tokens;
    }
    for (const [k, hubKey, max] of [
      ['temperature', 'temperature', 2],
      ['top_p', 'topP', 1],
    ] as const) {
      const v = b[k];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > max) throw bad(`'${k}' must be a number from 0 to ${max}.`, k, 'invalid_value');
      s[hubKey] = v;
    }
    const stop = b.stop_sequences;
    if (stop !== undefined && stop !== null) {
      if (!Array.isArray(stop) || !stop.every((x) => typeof x === 'string')) throw bad("'stop_sequences' must be an array of strings.", 'stop_sequences', 'invalid_type');
      if (stop.length) s.stop = stop as string[];
    }
    const md = b.metadata;
    if (md !== undefined && md !== null) {
      if (!isObject(md)) throw bad("'metadata' must be an object (e.g. {\"user_id\": \"...\"}).", 'metadata', 'invalid_type');
      if (typeof md.user_id === 'string' && md.user_id) s.user = hubUserOf(md.user_id);
    }
    this.toolChoice(s);
    const effort = this.effort();
    if (effort !== undefined) s.reasoningEffort = effort;
    const format = this.format();
    if (format) s.responseFormat = format;
    return s;
  }

  private toolChoice(s: HubSettings): void {
    const tc = this.body.tool_choice;
    if (tc === undefined || tc === null) return;
    if (!isObject(tc)) throw bad('\'tool_choice\' must be an object: {"type": "auto"}, {"type": "any"}, {"type": "tool", "name": "..."} or {"type": "none"}.', 'tool_choice', 'invalid_type');
    let choice: HubToolChoice;
    switch (tc.type) {
      case 'auto':
        choice = 'auto';
        break;
      case 'any':
        choice = 'required';
        break;
      case 'none':
        choice = 'none';
        break;
      case 'tool':
        if (typeof tc.name !== 'string' || !tc.name) throw bad('tool_choice.name is required with {"type": "tool"}: the name of the tool to call.', 'tool_choice.name', 'missing_required_parameter');
        choice = { name: this.registry.upstreamName('function', tc.name) };
        break;
      default:
        throw bad(`tool_choice.type must be one of auto, any, tool, none (got ${shown(tc.type)}).`, 'tool_choice.type', 'invalid_value');
    }
    s.toolChoice = choice;
    if (tc.disable_parallel_tool_use === true && choice !== 'none') s.parallelToolCalls = false;
  }

  /** The hub reasoning effort from `output_config.effort` and `thinking` (module notes). */
  private effort(): string | undefined {
    const b = this.body;
    const oc = b.output_config;
    if (oc !== undefined && oc !== null && !isObject(oc)) throw bad("'output_config' must be an object (e.g. {\"effort\": \"high\"}).", 'output_config', 'invalid_type');
    let fromConfig: string | undefined;
    if (isObject(oc) && oc.effort !== undefined && oc.effort !== null) {
      if (typeof oc.effort !== 'string' || !oc.effort) throw bad('output_config.effort must be a string: low, medium, high or max.', 'output_config.effort', 'invalid_type');
      fromConfig = oc.effort === 'max' ? 'xhigh' : oc.effort;
    }
    const t = b.thinking;
    if (t === undefined || t === null) return fromConfig;
    if (!isObject(t)) throw bad('\'thinking\' must be an object: {"type": "enabled", "budget_tokens": N}, {"type": "adaptive"} or {"type": "disabled"}.', 'thinking', 'invalid_type');
    if (t.display !== undefined) this.dropped.add('thinking.display');
    switch (t.type) {
      case 'disabled':
        return 'none';
      case 'adaptive':
        return fromConfig ?? 'medium';
      case 'enabled': {
        if (typeof t.budget_tokens !== 'number' || !Number.isFinite(t.budget_tokens) || t.budget_tokens < 0) {
          throw bad('thinking.budget_tokens is required with {"type": "enabled"}: the thinking budget in tokens (at least 1024).', 'thinking.budget_tokens', 'missing_required_parameter');
        }
        return fromConfig ?? effortForBudget(t.budget_tokens);
      }
      default:
        throw bad(`thinking.type must be one of enabled, adaptive, disabled (got ${shown(t.type)}).`, 'thinking.type', 'invalid_value');
    }
  }

  /** `output_config.format` (structured outputs) as a hub response format. */
  private format(): HubResponseFormat | undefined {
    const oc = this.body.output_config;
    if (!isObject(oc) || oc.format === undefined || oc.format === null) return undefined;
    const f = oc.format;
    if (!isObject(f) || f.type !== 'json_schema' || !isObject(f.schema)) {
      throw bad('output_config.format must be {"type": "json_schema", "schema": {...}}.', 'output_config.format', 'invalid_value');
    }
    return { type: 'json_schema', name: 'output', schema: f.schema };
  }
}

/** Characters per token of the estimate (the usual rule of thumb for English text and code). */
const CHARS_PER_TOKEN = 4;
/** Tokens counted per image or base64 document (an image of about 1.15 megapixels; Anthropic docs, "Vision": tokens ≈ width × height / 750). */
const MEDIA_TOKENS = 1600;

/**
 * An estimate of a Messages request's input tokens, for `POST /v1/messages/count_tokens` (Claude Code
 * estimates locally without it, notes "How Claude Code calls a gateway") and for `message_start` before a
 * translated upstream reported usage: ceil(characters / 4) over the text the model sees (system texts,
 * message texts, thinking texts, tool_use names and inputs as JSON, tool_result texts, tool names,
 * descriptions and input schemas as JSON), plus 1600 tokens per image or base64 document. An
 * approximation, not any tokenizer: real counts vary by model (roughly ±30% for prose, more for code and
 * non-Latin scripts). Never throws; malformed parts are skipped.
 * @param body the client's Messages request body.
 * @returns tokens (a non-negative integer).
 */
export function estimateInputTokens(body: Record<string, unknown>): number {
  let chars = 0;
  let media = 0;
  const seen = (v: unknown, depth = 0): void => {
    if (depth > 8) return;
    if (typeof v === 'string') {
      chars += v.length;
      return;
    }
    if (Array.isArray(v)) {
      for (const x of v) seen(x, depth + 1);
      return;
    }
    if (!isObject(v)) return;
    switch (v.type) {
      case 'text':
        if (typeof v.text === 'string') chars += v.text.length;
        return;
      case 'thinking':
        if (typeof v.thinking === 'string') chars += v.thinking.length;
        return;
      case 'image':
        media++;
        return;
      case 'document':
        if (isObject(v.source) && v.source.type === 'text' && typeof v.source.data === 'string') chars += v.source.data.length;
        else media++;
        return;
      case 'tool_use':
        chars += (typeof v.name === 'string' ? v.name.length : 0) + safeJsonLength(v.input);
        return;
      case 'tool_result':
        seen(v.content, depth + 1);
        return;
      default:
        if (v.role !== undefined) seen(v.content, depth + 1);
    }
  };
  try {
    seen(body.system);
    seen(body.messages);
    if (Array.isArray(body.tools)) for (const t of body.tools) if (isObject(t)) chars += (typeof t.name === 'string' ? t.name.length : 0) + (typeof t.description === 'string' ? t.description.length : 0) + safeJsonLength(t.input_schema);
  } catch {
    // estimate what was counted so far
  }
  return Math.ceil(chars / CHARS_PER_TOKEN) + media * MEDIA_TOKENS;
}

/** Length of `v` as JSON text; 0 when it has none (undefined) or cannot be serialised ({@link jsonText}). */
function safeJsonLength(v: unknown): number {
  return jsonText(v)?.length ?? 0;
}

/**
 * The Messages door's adapter functions, for the registry's `DOORS.messages` entry (the lead adds the
 * door's `error`, `forwardHeaders` and `keepAlive`): `parse` = {@link parseMessagesRequest}, `newId` =
 * {@link newMessageId}, `encoder` = a {@link MessagesEncoder} whose `message_start` estimate is
 * {@link estimateInputTokens}, `fold` = {@link foldMessage}, `relay` = a {@link MessagesRelay}.
 */
export const MESSAGES_DOOR: Pick<DoorAdapter, 'wire' | 'parse' | 'newId' | 'encoder' | 'fold' | 'relay'> = {
  wire: 'messages',
  parse: parseMessagesRequest,
  newId: newMessageId,
  encoder: (ctx: EncodeContext) => new MessagesEncoder(ctx, estimateInputTokens),
  fold: foldMessage,
  relay: () => new MessagesRelay(),
};
