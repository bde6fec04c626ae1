/**
 * Responses request -> Chat Completions request (the way in, for `chat`-wire deployments).
 *
 * Mapping (each case pinned by a golden file in test/unit/translate/golden/):
 * - `tools`: function / namespace / custom / client tool_search tools become Chat functions, hosted tools
 *   are dropped (see tools.ts). Top-level names are reserved before namespace members are flattened.
 *   Tools loaded by a `tool_search_output` in the history are appended to the upstream tool list.
 * - `instructions` and the LEADING run of `developer`/`system` messages become ONE `system` message
 *   (texts joined by a blank line): several upstreams and chat templates accept only one system message,
 *   and only first. Later developer/system messages stay `system` messages in place.
 * - `user` messages: text-only content becomes a string (parts joined by "\n"); with images or files it
 *   stays an array of `text` / `image_url` / `file` parts. `input_image.detail` is kept when it is a Chat
 *   value (`auto`/`low`/`high`); Codex's `original` is left out (= auto).
 * - `assistant` messages: `output_text`/`refusal` parts concatenated into a string.
 * - `function_call` / `custom_tool_call` / `tool_search_call` items become `tool_calls` of one assistant
 *   message: consecutive calls (parallel calls) share one message, which also absorbs a directly
 *   preceding assistant text message. Call ids are kept exactly. Custom tool input is sent as the
 *   arguments `{"input": "<raw>"}`; tool_search arguments as their JSON text.
 * - Outputs become `role:"tool"` messages placed right after their assistant message, in call order
 *   (Chat requires every tool_call answered immediately; see LiteLLM #23105). An output found later in
 *   the history is pulled forward; a call with no output at all gets "No output was recorded for this
 *   tool call."; an output whose call is missing becomes a user message. Array outputs are reduced to
 *   their text; their images follow the tool messages in one user message (Chat tool messages carry text
 *   only), e.g. Codex's `view_image` result.
 * - `reasoning` items: their text (ours from `encrypted_content`, else summary) becomes
 *   `reasoning_content` of the assistant message that carries the following tool calls (DeepSeek thinking
 *   mode requires it on tool-call turns). Not sent to providers that reject unknown message fields
 *   (openai, azure, groq, mistral, gemini, xai, anthropic) or when `reasoning_content` is in
 *   dropParamNames. Reasoning without text (another vendor's encrypted blob) is dropped.
 * - Other item types (web_search_call, image_generation_call, compaction, item_reference, ...) have no
 *   Chat meaning and are dropped (listed in `dropped` as `input:<type>`).
 *
 * Parameters: `max_output_tokens` -> `max_tokens` (`max_completion_tokens` for openai/azure; the
 * deployment's `maxTokens` when the client sends none), `temperature`, `top_p`, `user` as is,
 * `reasoning.effort` -> `reasoning_effort`, `text.format` -> `response_format`, `tool_choice` mapped,
 * `parallel_tool_calls` kept (only with tools), `prompt_cache_key` kept for provider openai. Streaming adds
 * `stream: true` and `stream_options: {include_usage: true}`.
 * Ignored without notice (no Chat meaning): `store`, `include`, `client_metadata`, `metadata`,
 * `prompt_cache_key` (non-OpenAI), `prompt_cache_retention`, `reasoning.summary`,
 * `reasoning.generate_summary`, `text.verbosity`, `truncation`, `background`, `service_tier`,
 * `safety_identifier`, `max_tool_calls`, `top_logprobs`, `stream_options`, `context_management`.
 * Rejected (400): `previous_response_id`, `conversation`, `prompt` (they need server-side state).
 *
 * Params an upstream rejects (`dropParamNames`, Chat names; Responses names are accepted too): dropped
 * and listed when `dropParams` is on, else a GatewayError 400 names the parameter, the provider and the
 * fix. Exception: `reasoning_effort`, `parallel_tool_calls`, `stream_options`, `prompt_cache_key` and
 * `reasoning_content` are always dropped (listed): Codex sends them on its own from model metadata, so
 * failing would break every turn for a setting the user never chose.
 *
 * `extraBody` (deployment `litellm_params` such as `temperature`) gives defaults; values the client sent
 * win (LiteLLM's order: request kwargs override deployment params). `model`, `messages`, `stream`,
 * `stream_options`, `tools`, `tool_choice` and `functions` in extraBody are ignored.
 */
import { GatewayError } from '../errors';
import { reasoningText } from './reasoning';
import { ToolRegistry, type ToolNameMap } from './tools';
import type {
  ChatCompletionRequest,
  ChatContentPart,
  ChatMessage,
  ChatToolCall,
  ChatToolChoice,
  ResponsesContentPart,
  ResponsesFunctionCallItem,
  ResponsesCustomToolCallItem,
  ResponsesInputItem,
  ResponsesMessageItem,
  ResponsesReasoningItem,
  ResponsesRequest,
  ResponsesTool,
  ResponsesToolOutput,
  ResponsesToolSearchCallItem,
  ResponsesToolSearchOutputItem,
} from './types';

/** How to build the upstream request for one deployment. */
export interface ChatTranslateOptions {
  /** Upstream model name (`deployment.model`, provider prefix removed). */
  model: string;
  /** Provider id (`openai`, `deepseek`, ...) for provider quirks. */
  provider: string;
  /** `litellm_settings.drop_params`: drop rejected params instead of failing. */
  dropParams: boolean;
  /** Chat param names this upstream rejects (provider's unsupported params + `additional_drop_params`). */
  dropParamNames: ReadonlySet<string>;
  /** Deployment default for max output tokens (tokens) when the client sends none. */
  maxTokens?: number;
  /** Deployment `litellm_params` forwarded into the body as defaults; client values win. */
  extraBody?: Record<string, unknown>;
  /** Whether the upstream call streams. */
  stream: boolean;
}

/** The translated request plus what the answer's translation needs. */
export interface ChatRequestPlan {
  body: ChatCompletionRequest;
  /** Upstream function name -> original tool (pass it to the {@link ResponseContext}). */
  tools: ToolNameMap;
  /** What was left out, e.g. `tools:web_search`, `reasoning_effort`, `input:web_search_call`. */
  dropped: string[];
}

/** Providers whose Chat API rejects unknown fields in messages (so no `reasoning_content` for them). */
const STRICT_MESSAGE_PROVIDERS = new Set(['openai', 'azure', 'azure_ai', 'groq', 'mistral', 'gemini', 'vertex_ai', 'xai', 'anthropic']);
/** Providers that take `max_completion_tokens` instead of `max_tokens` (o-series / gpt-5 reject max_tokens). */
const MAX_COMPLETION_TOKENS_PROVIDERS = new Set(['openai', 'azure']);
/** Params the client sends by itself; dropped (never an error) when the upstream rejects them. */
const AUTO_DROPPED = new Set(['reasoning_effort', 'parallel_tool_calls', 'stream_options', 'prompt_cache_key', 'reasoning_content']);
/** extraBody keys the translator owns. */
const RESERVED_BODY_KEYS = new Set(['model', 'messages', 'stream', 'stream_options', 'tools', 'tool_choice', 'functions']);
/** Responses names of Chat params, for matching `dropParamNames` written either way. */
const RESPONSES_NAME: Record<string, string> = {
  max_tokens: 'max_output_tokens',
  max_completion_tokens: 'max_output_tokens',
  reasoning_effort: 'reasoning',
  response_format: 'text',
};
const CHAT_DETAIL = new Set(['auto', 'low', 'high']);
const NO_OUTPUT_TEXT = 'No output was recorded for this tool call.';

function bad(message: string, param: string, code: string | null = 'invalid_value'): GatewayError {
  return new GatewayError(400, message, 'invalid_request_error', code, param);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type AssistantMessage = Extract<ChatMessage, { role: 'assistant' }>;

/** An image (or file) from a tool output, sent after the tool messages in a user message. */
interface ToolAttachment {
  callId: string;
  parts: ChatContentPart[];
}

/**
 * Translates a Responses request into a Chat Completions request for one deployment.
 * @param req The client's `POST /v1/responses` body (already JSON-parsed).
 * @param opts The deployment's upstream model, provider and drop rules.
 * @returns The upstream body, the tool name map for the answer, and what was dropped.
 * @throws GatewayError 400 (`invalid_request_error`, `param` set) on malformed input, on
 *   `previous_response_id`/`conversation`/`prompt`, on an image given by `file_id`, and on a parameter the
 *   upstream rejects while `dropParams` is off.
 */
export function responsesToChatRequest(req: ResponsesRequest, opts: ChatTranslateOptions): ChatRequestPlan {
  if (!isObject(req)) throw bad('The request body must be a JSON object (an OpenAI Responses API request).', 'body');
  for (const stateful of ['previous_response_id', 'conversation', 'prompt'] as const) {
    if (req[stateful] !== undefined && req[stateful] !== null) {
      throw bad(
        `'${stateful}' is not supported for model '${String(req.model)}': it is served by ${opts.provider} over Chat Completions, which keeps no server-side state. Send the whole conversation in 'input' instead (Codex does this by default).`,
        stateful,
        'unsupported_parameter',
      );
    }
  }
  const t = new Translator(opts);
  return t.run(req);
}

class Translator {
  private readonly dropped = new Set<string>();
  private readonly registry = new ToolRegistry();
  private readonly messages: ChatMessage[] = [];
  /** Texts of the leading system/developer messages; null once a non-system message was emitted. */
  private leadingSystem: string[] | null = [];
  /** Reasoning text waiting for the next assistant message. */
  private pendingReasoning: string | undefined;
  /** The last emitted assistant message while it can still take tool calls. */
  private openAssistant: AssistantMessage | null = null;
  /** Reasoning that belongs to {@link openAssistant}, set on it once it gets tool calls. */
  private openAssistantReasoning: string | undefined;
  /** Call ids of the open assistant message's tool_calls, in order. */
  private groupCalls: string[] = [];
  /** call_id -> index in input of its output item (first one), for pairing. */
  private outputIndex = new Map<string, number>();
  /** Output item indexes already emitted as tool messages (or turned into user text). */
  private consumed = new Set<number>();
  private items: ResponsesInputItem[] = [];
  private readonly sendReasoning: boolean;
  private deferOk = false;

  constructor(private readonly opts: ChatTranslateOptions) {
    this.sendReasoning = !STRICT_MESSAGE_PROVIDERS.has(opts.provider) && !opts.dropParamNames.has('reasoning_content');
  }

  run(req: ResponsesRequest): ChatRequestPlan {
    this.buildTools(req.tools);
    if (req.instructions !== undefined && req.instructions !== null) {
      if (typeof req.instructions !== 'string') throw bad("'instructions' must be a string.", 'instructions');
      if (req.instructions) this.leadingSystem!.push(req.instructions);
    }
    this.buildMessages(req.input);
    const body = this.buildBody(req);
    return { body, tools: this.registry, dropped: [...this.dropped] };
  }

  /* ---------------------------------------------------------------- tools */

  private buildTools(tools: ResponsesTool[] | undefined): void {
    if (tools === undefined || tools === null) return;
    if (!Array.isArray(tools)) throw bad("'tools' must be an array.", 'tools');
    // Deferred tools are held back only if the model can load them through a client-side tool_search.
    this.deferOk = tools.some((x) => isObject(x) && x.type === 'tool_search' && x.execution === 'client');
    // Top-level names are reserved first, so a namespace member flattening to the same name gets the suffix.
    for (const x of tools) {
      if (isObject(x) && (x.type === 'function' || x.type === 'custom') && typeof x.name === 'string' && x.name) this.registry.upstreamName(x.type, x.name);
    }
    for (let i = 0; i < tools.length; i++) {
      const tool = tools[i];
      if (!isObject(tool) || typeof tool.type !== 'string') throw bad(`tools[${i}] must be an object with a 'type'.`, `tools[${i}]`);
      if ((tool.type === 'function' || tool.type === 'custom' || tool.type === 'namespace') && (typeof tool.name !== 'string' || !tool.name)) {
        throw bad(`tools[${i}] (${tool.type}) needs a non-empty 'name'.`, `tools[${i}].name`);
      }
      this.registry.add(tool as ResponsesTool, this.deferOk);
    }
    for (const type of this.registry.droppedTypes) this.dropped.add(`tools:${type}`);
    this.registry.droppedTypes.length = 0;
  }

  /* ---------------------------------------------------------------- messages */

  private buildMessages(input: ResponsesRequest['input']): void {
    if (input === undefined || input === null) {
      this.flushLeadingSystem();
      return;
    }
    if (typeof input === 'string') {
      this.push({ role: 'user', content: input });
      this.flushLeadingSystem();
      return;
    }
    if (!Array.isArray(input)) throw bad("'input' must be a string or an array of items.", 'input');
    this.items = input;
    for (let i = 0; i < input.length; i++) {
      const it = input[i] as { type?: unknown; call_id?: unknown };
      if (isObject(it) && (it.type === 'function_call_output' || it.type === 'custom_tool_call_output' || it.type === 'tool_search_output')) {
        const id = typeof it.call_id === 'string' ? it.call_id : '';
        if (!this.outputIndex.has(id)) this.outputIndex.set(id, i);
      }
    }
    for (let i = 0; i < input.length; i++) this.item(input[i], i);
    this.closeGroup();
    this.flushLeadingSystem();
  }

  private item(rawItem: ResponsesInputItem, i: number): void {
    if (!isObject(rawItem)) throw bad(`input[${i}] must be an object.`, `input[${i}]`);
    const raw: unknown = rawItem;
    const type = rawItem.type ?? ('role' in rawItem ? 'message' : undefined);
    switch (type) {
      case 'message':
        this.message(raw as ResponsesMessageItem, i);
        return;
      case 'function_call': {
        const c = raw as ResponsesFunctionCallItem;
        this.requireCall(c.call_id, c.name, i);
        if (typeof c.arguments !== 'string') throw bad(`input[${i}].arguments must be a JSON string.`, `input[${i}].arguments`);
        this.addCall({ id: c.call_id, type: 'function', function: { name: this.registry.upstreamName('function', c.name, c.namespace || undefined), arguments: c.arguments } });
        return;
      }
      case 'custom_tool_call': {
        const c = raw as ResponsesCustomToolCallItem;
        this.requireCall(c.call_id, c.name, i);
        if (typeof c.input !== 'string') throw bad(`input[${i}].input must be a string.`, `input[${i}].input`);
        this.addCall({
          id: c.call_id,
          type: 'function',
          function: { name: this.registry.upstreamName('custom', c.name, c.namespace || undefined), arguments: JSON.stringify({ input: c.input }) },
        });
        return;
      }
      case 'tool_search_call': {
        const c = raw as ResponsesToolSearchCallItem;
        if (c.execution === 'server' || typeof c.call_id !== 'string' || !c.call_id) {
          this.dropped.add('input:tool_search_call');
          return;
        }
        this.addCall({
          id: c.call_id,
          type: 'function',
          function: { name: this.registry.upstreamName('tool_search', 'tool_search'), arguments: JSON.stringify(c.arguments ?? {}) },
        });
        return;
      }
      case 'function_call_output':
      case 'custom_tool_call_output':
      case 'tool_search_output':
        this.output(raw as { call_id?: unknown }, i);
        return;
      case 'reasoning':
        this.reasoning(raw as ResponsesReasoningItem);
        return;
      default:
        this.dropped.add(`input:${String(type)}`);
    }
  }

  private requireCall(callId: unknown, name: unknown, i: number): void {
    if (typeof callId !== 'string' || !callId) throw bad(`input[${i}] needs a non-empty 'call_id'.`, `input[${i}].call_id`);
    if (typeof name !== 'string' || !name) throw bad(`input[${i}] needs a non-empty 'name'.`, `input[${i}].name`);
  }

  private message(m: ResponsesMessageItem, i: number): void {
    const role = m.role;
    if (m.content === undefined || m.content === null) throw bad(`input[${i}].content is required.`, `input[${i}].content`);
    if (typeof m.content !== 'string' && !Array.isArray(m.content)) throw bad(`input[${i}].content must be a string or an array of content parts.`, `input[${i}].content`);
    switch (role) {
      case 'system':
      case 'developer': {
        const text = this.textOf(m.content, `input[${i}].content`, '\n');
        if (this.leadingSystem) this.leadingSystem.push(text);
        else {
          this.closeGroup();
          this.push({ role: 'system', content: text });
        }
        return;
      }
      case 'user': {
        this.closeGroup();
        this.pendingReasoning = undefined;
        this.push({ role: 'user', content: this.userContent(m.content, `input[${i}].content`) });
        return;
      }
      case 'assistant': {
        const text = this.textOf(m.content, `input[${i}].content`, '');
        const open = this.openAssistant;
        if (open && this.groupCalls.length === 0) {
          // Consecutive assistant texts (e.g. commentary then answer) become one message.
          open.content = open.content ? (text ? `${open.content}\n\n${text}` : open.content) : text || null;
          if (this.pendingReasoning !== undefined) {
            this.openAssistantReasoning = join(this.openAssistantReasoning, this.pendingReasoning);
            this.pendingReasoning = undefined;
          }
          return;
        }
        this.closeGroup();
        this.startAssistant(text);
        return;
      }
      default:
        throw bad(`input[${i}].role must be one of user, assistant, system, developer (got ${JSON.stringify(role)}).`, `input[${i}].role`);
    }
  }

  private reasoning(r: ResponsesReasoningItem): void {
    const text = reasoningText(r);
    if (text === undefined) {
      this.dropped.add('input:reasoning');
      return;
    }
    if (this.openAssistant && this.groupCalls.length > 0) {
      // Reasoning between calls of one turn (interleaved thinking): keep it with that message.
      this.openAssistantReasoning = join(this.openAssistantReasoning, text);
      this.attachReasoning(this.openAssistant);
      return;
    }
    this.pendingReasoning = join(this.pendingReasoning, text);
  }

  private startAssistant(text: string | null): AssistantMessage {
    const msg: AssistantMessage = { role: 'assistant', content: text || null };
    this.push(msg);
    this.openAssistant = msg;
    this.openAssistantReasoning = this.pendingReasoning;
    this.pendingReasoning = undefined;
    return msg;
  }

  private addCall(call: ChatToolCall): void {
    let msg = this.openAssistant;
    if (!msg) msg = this.startAssistant(null);
    else if (this.pendingReasoning !== undefined) {
      this.openAssistantReasoning = join(this.openAssistantReasoning, this.pendingReasoning);
      this.pendingReasoning = undefined;
    }
    (msg.tool_calls ??= []).push(call);
    this.attachReasoning(msg);
    this.groupCalls.push(call.id);
  }

  /** Puts the open message's reasoning on it (tool-call turns only), unless this upstream must not get it. */
  private attachReasoning(msg: AssistantMessage): void {
    if (this.openAssistantReasoning === undefined) return;
    if (this.sendReasoning) msg.reasoning_content = this.openAssistantReasoning;
    else if (this.opts.dropParamNames.has('reasoning_content')) this.dropped.add('reasoning_content');
  }

  /** Emits the tool messages answering the open assistant message's calls, then any tool-output images. */
  private closeGroup(): void {
    if (this.groupCalls.length === 0) {
      this.openAssistant = null;
      return;
    }
    const calls = this.groupCalls;
    this.groupCalls = [];
    this.openAssistant = null;
    const attachments: ToolAttachment[] = [];
    for (const callId of calls) {
      const idx = this.outputIndex.get(callId);
      if (idx === undefined || this.consumed.has(idx)) {
        this.messages.push({ role: 'tool', tool_call_id: callId, content: NO_OUTPUT_TEXT });
        continue;
      }
      this.consumed.add(idx);
      const { text, parts } = this.outputOf(this.items[idx] as { type: string }, idx);
      if (parts.length) attachments.push({ callId, parts });
      this.messages.push({ role: 'tool', tool_call_id: callId, content: text });
    }
    if (attachments.length) {
      const content: ChatContentPart[] = [];
      for (const a of attachments) {
        content.push({ type: 'text', text: `Attachments returned by tool call ${a.callId}:` });
        content.push(...a.parts);
      }
      this.messages.push({ role: 'user', content });
    }
  }

  private output(o: { call_id?: unknown }, i: number): void {
    if (typeof o.call_id !== 'string' || !o.call_id) throw bad(`input[${i}] needs a non-empty 'call_id'.`, `input[${i}].call_id`);
    this.closeGroup(); // answers the open calls, usually consuming this very output
    if (this.consumed.has(i)) return;
    // An output whose call is not (or no longer) in the history: keep its content as user text.
    this.consumed.add(i);
    const { text, parts } = this.outputOf(o as { type: string }, i);
    const label = `Output of tool call ${o.call_id}:`;
    this.push({ role: 'user', content: parts.length ? [{ type: 'text', text: `${label}\n${text}` }, ...parts] : `${label}\n${text}` });
  }

  /** Text (and image/file parts) of an output item; tool_search_output also registers the loaded tools. */
  private outputOf(item: { type: string }, i: number): { text: string; parts: ChatContentPart[] } {
    if (item.type === 'tool_search_output') {
      const tools = (item as ResponsesToolSearchOutputItem).tools;
      const names: string[] = [];
      if (Array.isArray(tools)) {
        for (const tool of tools) {
          if (!isObject(tool)) continue;
          const before = this.registry.chatTools.length;
          this.registry.add(tool as ResponsesTool, false);
          for (let k = before; k < this.registry.chatTools.length; k++) names.push(this.registry.chatTools[k].function.name);
        }
        for (const type of this.registry.droppedTypes) this.dropped.add(`tools:${type}`);
        this.registry.droppedTypes.length = 0;
      }
      return { text: names.length ? `Loaded tools, callable now: ${names.join(', ')}` : 'No matching tools found.', parts: [] };
    }
    return this.toolOutput((item as { output?: ResponsesToolOutput }).output, `input[${i}].output`);
  }

  private toolOutput(output: ResponsesToolOutput | undefined, param: string): { text: string; parts: ChatContentPart[] } {
    if (typeof output === 'string') return { text: output, parts: [] };
    if (output === undefined || output === null) return { text: '', parts: [] };
    if (!Array.isArray(output)) {
      // Older shape: {content, success}.
      const c = (output as { content?: unknown }).content;
      if (typeof c === 'string') return { text: c, parts: [] };
      throw bad(`${param} must be a string or an array of content parts.`, param);
    }
    const texts: string[] = [];
    const parts: ChatContentPart[] = [];
    for (let j = 0; j < output.length; j++) {
      const p = output[j] as ResponsesContentPart;
      if (!isObject(p)) continue;
      const t = textOfPart(p);
      if (t !== undefined) texts.push(t);
      else if (p.type === 'input_image' || p.type === 'input_file') parts.push(this.mediaPart(p, `${param}[${j}]`));
      else this.dropped.add(`content:${String(p.type)}`);
    }
    let text = texts.join('\n');
    if (!text && parts.length) text = parts.length === 1 ? '(attachment follows)' : `(${parts.length} attachments follow)`;
    return { text, parts };
  }

  private textOf(content: string | ResponsesContentPart[], param: string, sep: string): string {
    if (typeof content === 'string') return content;
    const texts: string[] = [];
    for (let j = 0; j < content.length; j++) {
      const p = content[j];
      if (!isObject(p)) throw bad(`${param}[${j}] must be a content part object.`, `${param}[${j}]`);
      const t = textOfPart(p as ResponsesContentPart);
      if (t !== undefined) texts.push(t);
      else this.dropped.add(`content:${String(p.type)}`);
    }
    return texts.join(sep);
  }

  private userContent(content: string | ResponsesContentPart[], param: string): string | ChatContentPart[] {
    if (typeof content === 'string') return content;
    const parts: ChatContentPart[] = [];
    let media = false;
    for (let j = 0; j < content.length; j++) {
      const p = content[j];
      if (!isObject(p)) throw bad(`${param}[${j}] must be a content part object.`, `${param}[${j}]`);
      const t = textOfPart(p as ResponsesContentPart);
      if (t !== undefined) parts.push({ type: 'text', text: t });
      else if (p.type === 'input_image' || p.type === 'input_file') {
        parts.push(this.mediaPart(p as ResponsesContentPart, `${param}[${j}]`));
        media = true;
      } else this.dropped.add(`content:${String(p.type)}`);
    }
    if (media) return parts;
    return parts.map((p) => (p as { text: string }).text).join('\n');
  }

  private mediaPart(p: ResponsesContentPart, param: string): ChatContentPart {
    if (p.type === 'input_image') {
      const url = (p as { image_url?: unknown }).image_url;
      if (typeof url !== 'string' || !url) {
        if ((p as { file_id?: unknown }).file_id !== undefined) {
          throw bad(
            `${param}: images referenced by 'file_id' cannot be sent to ${this.opts.provider} over Chat Completions. Send the image inline as 'image_url' (a data: URL or an https URL).`,
            `${param}.file_id`,
            'unsupported_value',
          );
        }
        throw bad(`${param}.image_url must be a non-empty string.`, `${param}.image_url`);
      }
      const detail = (p as { detail?: unknown }).detail;
      return typeof detail === 'string' && CHAT_DETAIL.has(detail)
        ? { type: 'image_url', image_url: { url, detail: detail as 'auto' | 'low' | 'high' } }
        : { type: 'image_url', image_url: { url } };
    }
    const f = p as { file_id?: unknown; file_data?: unknown; filename?: unknown; file_url?: unknown };
    if (typeof f.file_id !== 'string' && typeof f.file_data !== 'string') {
      throw bad(`${param}: a file must be given as 'file_data' (base64) or 'file_id' for a Chat Completions upstream.`, param, 'unsupported_value');
    }
    const file: { file_id?: string; file_data?: string; filename?: string } = {};
    if (typeof f.file_id === 'string') file.file_id = f.file_id;
    if (typeof f.file_data === 'string') file.file_data = f.file_data;
    if (typeof f.filename === 'string') file.filename = f.filename;
    return { type: 'file', file };
  }

  private push(m: ChatMessage): void {
    if (m.role !== 'system') this.flushLeadingSystem();
    this.messages.push(m);
  }

  /** Puts the merged leading system message first, once. */
  private flushLeadingSystem(): void {
    const ls = this.leadingSystem;
    if (ls === null) return;
    this.leadingSystem = null;
    const text = ls.filter((s) => s.length > 0).join('\n\n');
    if (text) this.messages.unshift({ role: 'system', content: text });
  }

  /* ---------------------------------------------------------------- parameters */

  private rejected(chatName: string): boolean {
    const names = this.opts.dropParamNames;
    if (names.size === 0) return false;
    if (names.has(chatName)) return true;
    const rn = RESPONSES_NAME[chatName];
    return rn !== undefined && names.has(rn);
  }

  /** Sets a param unless the upstream rejects it (then drop it, or throw when drop_params is off). */
  private set(body: ChatCompletionRequest, chatName: string, value: unknown, clientName?: string): void {
    if (this.rejected(chatName)) {
      if (AUTO_DROPPED.has(chatName) || this.opts.dropParams) {
        this.dropped.add(chatName);
        delete body[chatName];
        return;
      }
      const shown = clientName ?? chatName;
      throw new GatewayError(
        400,
        `Parameter '${shown}' is not supported by provider '${this.opts.provider}' (model '${this.opts.model}'). Remove it from the request, or set litellm_settings.drop_params: true in the gateway config to drop unsupported parameters automatically.`,
        'invalid_request_error',
        'unsupported_parameter',
        shown,
      );
    }
    body[chatName] = value;
  }

  private buildBody(req: ResponsesRequest): ChatCompletionRequest {
    const body: ChatCompletionRequest = { model: this.opts.model, messages: this.messages };
    const extra = this.opts.extraBody;
    if (extra) for (const k in extra) if (!RESERVED_BODY_KEYS.has(k) && extra[k] !== undefined) this.set(body, k, extra[k]);

    const tools = this.registry.chatTools;
    if (tools.length) {
      this.set(body, 'tools', tools);
      if (body.tools) {
        const choice = this.toolChoice(req.tool_choice);
        if (choice !== undefined) this.set(body, 'tool_choice', choice);
        if (typeof req.parallel_tool_calls === 'boolean') this.set(body, 'parallel_tool_calls', req.parallel_tool_calls);
      }
    }

    const maxTokensKey = MAX_COMPLETION_TOKENS_PROVIDERS.has(this.opts.provider) ? 'max_completion_tokens' : 'max_tokens';
    if (req.max_output_tokens !== undefined && req.max_output_tokens !== null) {
      if (typeof req.max_output_tokens !== 'number' || !Number.isInteger(req.max_output_tokens) || req.max_output_tokens < 1) {
        throw bad("'max_output_tokens' must be a positive integer.", 'max_output_tokens');
      }
      delete body.max_tokens;
      delete body.max_completion_tokens;
      this.set(body, maxTokensKey, req.max_output_tokens, 'max_output_tokens');
    } else if (this.opts.maxTokens !== undefined && body.max_tokens === undefined && body.max_completion_tokens === undefined) {
      this.set(body, maxTokensKey, this.opts.maxTokens);
    }
    for (const k of ['temperature', 'top_p'] as const) {
      const v = req[k];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'number') throw bad(`'${k}' must be a number.`, k);
      this.set(body, k, v);
    }
    const reasoning = req.reasoning;
    if (isObject(reasoning) && typeof reasoning.effort === 'string' && reasoning.effort) this.set(body, 'reasoning_effort', reasoning.effort, 'reasoning.effort');
    const format = isObject(req.text) ? req.text.format : undefined;
    if (format !== undefined && format !== null) {
      const rf = responseFormat(format);
      if (rf) this.set(body, 'response_format', rf, 'text.format');
    }
    if (typeof req.user === 'string' && req.user) this.set(body, 'user', req.user);
    if (this.opts.provider === 'openai' && typeof req.prompt_cache_key === 'string' && req.prompt_cache_key) {
      this.set(body, 'prompt_cache_key', req.prompt_cache_key);
    }
    if (this.opts.stream) {
      body.stream = true;
      this.set(body, 'stream_options', { include_usage: true });
    } else if (body.stream !== undefined) delete body.stream;
    return body;
  }

  private toolChoice(choice: ResponsesRequest['tool_choice']): ChatToolChoice | undefined {
    if (choice === undefined || choice === null) return undefined;
    if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
    if (!isObject(choice)) throw bad("'tool_choice' must be auto, none, required or an object.", 'tool_choice');
    const c = choice as { type?: unknown; name?: unknown; mode?: unknown; namespace?: unknown };
    if ((c.type === 'function' || c.type === 'custom') && typeof c.name === 'string') {
      const ns = typeof c.namespace === 'string' && c.namespace ? c.namespace : undefined;
      const up = this.registry.upstreamName(c.type, c.name, ns);
      return { type: 'function', function: { name: up } };
    }
    if (c.type === 'allowed_tools') {
      this.dropped.add('tool_choice.allowed_tools');
      return c.mode === 'required' ? 'required' : 'auto';
    }
    // A hosted tool (web_search, ...) that was dropped: let the model choose.
    this.dropped.add(`tool_choice:${String(c.type)}`);
    return 'auto';
  }
}

/** Text of a text-like content part, undefined for other parts. */
function textOfPart(p: ResponsesContentPart): string | undefined {
  switch (p.type) {
    case 'input_text':
    case 'output_text':
    case 'text':
    case 'summary_text':
    case 'reasoning_text':
      return typeof p.text === 'string' ? p.text : '';
    case 'refusal':
      return typeof (p as { refusal?: unknown }).refusal === 'string' ? ((p as { refusal: string }).refusal) : '';
    default:
      return undefined;
  }
}

function join(a: string | undefined, b: string): string {
  return a ? `${a}\n\n${b}` : b;
}

function responseFormat(format: unknown): ChatCompletionRequest['response_format'] | undefined {
  if (!isObject(format)) throw bad("'text.format' must be an object.", 'text.format');
  switch (format.type) {
    case 'text':
      return undefined;
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema': {
      if (typeof format.name !== 'string' || !isObject(format.schema)) {
        throw bad("'text.format' of type json_schema needs 'name' and 'schema'.", 'text.format');
      }
      const js: Record<string, unknown> = { name: format.name, schema: format.schema };
      if (typeof format.description === 'string') js.description = format.description;
      if (typeof format.strict === 'boolean') js.strict = format.strict;
      return { type: 'json_schema', json_schema: js };
    }
    default:
      throw bad(`'text.format.type' ${JSON.stringify(format.type)} is not supported; use text, json_object or json_schema.`, 'text.format.type');
  }
}
