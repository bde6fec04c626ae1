/**
 * The Responses door's request side: a client's `POST /v1/responses` body -> {@link HubRequest}.
 *
 * Mapping (pinned by the golden files in test/unit/translate/golden/, which run it through the Chat
 * upstream builder):
 * - `tools`: function / namespace / custom / client tool_search tools become flat hub functions, hosted
 *   tools are dropped (see translate/tools.ts). Top-level names are reserved before namespace members are
 *   flattened. Tools loaded by a `tool_search_output` in the history are appended to the tool list.
 * - `instructions` and the LEADING run of `developer`/`system` messages become the hub's `system` (texts
 *   joined by a blank line); later developer/system messages stay `system` messages in place.
 * - `user` messages: text-only content becomes a string (parts joined by "\n"); with images or files it
 *   stays an array of text / image / file parts. `input_image.detail` is kept when it is `auto`/`low`/
 *   `high`; Codex's `original` is left out (= auto).
 * - `assistant` messages: `output_text`/`refusal` parts concatenated into the text.
 * - `function_call` / `custom_tool_call` / `tool_search_call` items become tool calls of one assistant
 *   message: consecutive calls (parallel calls) share one message, which also absorbs a directly
 *   preceding assistant text message. Call ids are kept exactly. Custom tool input is carried as the
 *   arguments `{"input": "<raw>"}`; tool_search arguments as their JSON text.
 * - Outputs become hub `tool` messages placed right after their assistant message, in call order (the
 *   hub's invariant; Chat and Messages both require it, see LiteLLM #23105). An output found later in the
 *   history is pulled forward; a call with no output at all gets "No output was recorded for this tool
 *   call."; an output whose call is missing becomes a user message. Array outputs are reduced to their
 *   text, their images and files kept as the tool message's `media` (e.g. Codex's `view_image`).
 * - `reasoning` items become reasoning blocks of the assistant message that follows them (or, between
 *   calls of one turn, of that turn): our own `cgw1:`/`cgw2:` `encrypted_content` gives the exact text and
 *   any Anthropic signature back (translate/reasoning.ts), else the summary text. Reasoning without text
 *   or own state (another vendor's encrypted blob) is dropped.
 * - Other item types (web_search_call, image_generation_call, compaction, item_reference, ...) have no
 *   hub meaning and are dropped (listed in `dropped` as `input:<type>`).
 *
 * Settings: `max_output_tokens`, `temperature`, `top_p`, `user`, `reasoning.effort`, `text.format`,
 * `tool_choice`, `parallel_tool_calls` (only with tools), `prompt_cache_key`. Ignored without notice (no
 * hub meaning): `store`, `include`, `client_metadata`, `metadata`, `prompt_cache_retention`,
 * `reasoning.summary`, `text.verbosity`, `truncation`, `background`, `service_tier`, `safety_identifier`,
 * `max_tool_calls`, `top_logprobs`, `stream_options`, `context_management`.
 * Rejected (400): `previous_response_id`, `conversation`, `prompt` (they need server-side state), an image
 * given only by `file_id`.
 */
import { GatewayError } from '../../errors';
import { NO_OUTPUT_TEXT, type HubMedia, type HubMessage, type HubPart, type HubReasoning, type HubRequest, type HubResponseFormat, type HubSettings, type HubTool, type HubToolCall, type HubToolChoice } from '../../hub/types';
import { decodeReasoningBlock, reasoningText } from '../../translate/reasoning';
import { typeLabel, jsonText, isObject } from '../../translate/safe';
import { ToolRegistry } from '../../translate/tools';
import type {
  ResponsesContentPart,
  ResponsesCustomToolCallItem,
  ResponsesFunctionCallItem,
  ResponsesInputItem,
  ResponsesMessageItem,
  ResponsesReasoningItem,
  ResponsesRequest,
  ResponsesTool,
  ResponsesToolOutput,
  ResponsesToolSearchCallItem,
  ResponsesToolSearchOutputItem,
} from '../../translate/types';

const CHAT_DETAIL = new Set(['auto', 'low', 'high']);

function bad(message: string, param: string, code: string | null = 'invalid_value'): GatewayError {
  return new GatewayError(400, message, 'invalid_request_error', code, param);
}

type AssistantMessage = Extract<HubMessage, { role: 'assistant' }>;

/** The reasoning block of an input item: our own state (exact text, signature) or its summary text. */
function reasoningBlock(r: ResponsesReasoningItem): HubReasoning | undefined {
  const own = decodeReasoningBlock(r.encrypted_content);
  if (own !== undefined) return own;
  const text = reasoningText(r);
  return text === undefined ? undefined : { text };
}

/** True for a tool output item that says it failed (`status: "incomplete"`/`"failed"`, or an older `{success: false}` output). */
function isErrorOutput(item: unknown): boolean {
  const o = item as { status?: unknown; output?: { success?: unknown } } | null;
  return o?.output !== null && typeof o?.output === 'object' && !Array.isArray(o.output) && o.output.success === false;
}

/**
 * Parses a Responses request into the hub.
 * @param req The client's `POST /v1/responses` body (already JSON-parsed and type-checked).
 * @returns The hub request (its `toolMap` turns upstream calls back into Responses items).
 * @throws GatewayError 400 (`invalid_request_error`, `param` set) on malformed input, on
 *   `previous_response_id`/`conversation`/`prompt`, and on an image given by `file_id`.
 */
export function parseResponsesRequest(req: ResponsesRequest): HubRequest {
  if (!isObject(req)) throw bad('The request body must be a JSON object (an OpenAI Responses API request).', 'body');
  for (const stateful of ['previous_response_id', 'conversation', 'prompt'] as const) {
    if (req[stateful] !== undefined && req[stateful] !== null) {
      throw bad(
        `'${stateful}' is not supported for model '${typeLabel(req.model)}': Codex Gateway keeps no server-side state. Send the whole conversation in 'input' instead (Codex does this by default).`,
        stateful,
        'unsupported_parameter',
      );
    }
  }
  return new ResponsesParser().run(req);
}

class ResponsesParser {
  private readonly dropped = new Set<string>();
  private readonly registry = new ToolRegistry();
  private readonly messages: HubMessage[] = [];
  /** Texts of the leading system/developer messages; null once a non-system message was emitted. */
  private leadingSystem: string[] | null = [];
  /** Reasoning blocks waiting for the next assistant message. */
  private pendingReasoning: HubReasoning[] = [];
  /** The last emitted assistant message while it can still take tool calls. */
  private openAssistant: AssistantMessage | null = null;
  /** Call ids of the open assistant message's tool_calls, in order. */
  private groupCalls: string[] = [];
  /** call_id -> index in input of its output item (first one), for pairing. */
  private outputIndex = new Map<string, number>();
  /** Output item indexes already emitted as tool messages (or turned into user text). */
  private consumed = new Set<number>();
  private items: ResponsesInputItem[] = [];
  private deferOk = false;
  /** The leading system text, once flushed. */
  private system = '';

  run(req: ResponsesRequest): HubRequest {
    this.buildTools(req.tools);
    if (req.instructions !== undefined && req.instructions !== null) {
      if (typeof req.instructions !== 'string') throw bad("'instructions' must be a string.", 'instructions');
      if (req.instructions) this.leadingSystem!.push(req.instructions);
    }
    this.buildMessages(req.input);
    const settings = this.settings(req);
    const tools: HubTool[] = this.registry.chatTools.map((t) => t.function);
    return { system: this.system, messages: this.messages, tools, toolMap: this.registry, settings, stream: req.stream === true, dropped: [...this.dropped] };
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
        this.addCall({ id: c.call_id, name: this.registry.upstreamName('function', c.name, namespaceOf(c.namespace)), arguments: c.arguments });
        return;
      }
      case 'custom_tool_call': {
        const c = raw as ResponsesCustomToolCallItem;
        this.requireCall(c.call_id, c.name, i);
        if (typeof c.input !== 'string') throw bad(`input[${i}].input must be a string.`, `input[${i}].input`);
        this.addCall({ id: c.call_id, name: this.registry.upstreamName('custom', c.name, namespaceOf(c.namespace)), arguments: JSON.stringify({ input: c.input }) });
        return;
      }
      case 'tool_search_call': {
        const c = raw as ResponsesToolSearchCallItem;
        if (c.execution === 'server' || typeof c.call_id !== 'string' || !c.call_id) {
          this.dropped.add('input:tool_search_call');
          return;
        }
        const args = jsonText(c.arguments ?? {});
        if (args === undefined) throw bad(`input[${i}].arguments nests too deeply to be forwarded; send a flatter arguments object.`, `input[${i}].arguments`);
        this.addCall({ id: c.call_id, name: this.registry.upstreamName('tool_search', 'tool_search'), arguments: args });
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
        this.dropped.add(`input:${typeLabel(type)}`);
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
          this.push({ role: 'system', text });
        }
        return;
      }
      case 'user': {
        this.closeGroup();
        this.pendingReasoning = [];
        this.push({ role: 'user', content: this.userContent(m.content, `input[${i}].content`) });
        return;
      }
      case 'assistant': {
        const text = this.textOf(m.content, `input[${i}].content`, '');
        const open = this.openAssistant;
        if (open && this.groupCalls.length === 0) {
          // Consecutive assistant texts (e.g. commentary then answer) become one message.
          open.text = open.text ? (text ? `${open.text}\n\n${text}` : open.text) : text || null;
          this.takePendingReasoning(open);
          return;
        }
        this.closeGroup();
        this.startAssistant(text);
        return;
      }
      default:
        throw bad(`input[${i}].role must be one of user, assistant, system, developer (got ${typeof role === 'string' ? JSON.stringify(role) : typeLabel(role)}).`, `input[${i}].role`);
    }
  }

  private reasoning(r: ResponsesReasoningItem): void {
    const block = reasoningBlock(r);
    if (block === undefined) {
      this.dropped.add('input:reasoning');
      return;
    }
    if (this.openAssistant && this.groupCalls.length > 0) {
      // Reasoning between calls of one turn (interleaved thinking): keep it with that message, in order.
      (this.openAssistant.reasoning ??= []).push(block);
      return;
    }
    this.pendingReasoning.push(block);
  }

  /** Moves the reasoning read since the last assistant message onto `msg`. */
  private takePendingReasoning(msg: AssistantMessage): void {
    if (this.pendingReasoning.length === 0) return;
    (msg.reasoning ??= []).push(...this.pendingReasoning);
    this.pendingReasoning = [];
  }

  private startAssistant(text: string | null): AssistantMessage {
    const msg: AssistantMessage = { role: 'assistant', text: text || null };
    this.push(msg);
    this.openAssistant = msg;
    this.takePendingReasoning(msg);
    return msg;
  }

  private addCall(call: HubToolCall): void {
    let msg = this.openAssistant;
    if (!msg) msg = this.startAssistant(null);
    else this.takePendingReasoning(msg);
    (msg.toolCalls ??= []).push(call);
    this.groupCalls.push(call.id);
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
    for (const callId of calls) {
      const idx = this.outputIndex.get(callId);
      if (idx === undefined || this.consumed.has(idx)) {
        this.messages.push({ role: 'tool', callId, text: NO_OUTPUT_TEXT });
        continue;
      }
      this.consumed.add(idx);
      const { text, parts } = this.outputOf(this.items[idx] as { type: string }, idx);
      const msg: HubMessage = { role: 'tool', callId, text };
      if (parts.length) msg.media = parts;
      if (isErrorOutput(this.items[idx])) msg.isError = true;
      this.messages.push(msg);
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
    const content: HubPart[] = [{ type: 'text', text: `${label}\n${text}` }];
    for (const p of parts) content.push(p);
    this.push({ role: 'user', content: parts.length ? content : `${label}\n${text}` });
  }

  /** Text (and image/file parts) of an output item; tool_search_output also registers the loaded tools. */
  private outputOf(item: { type: string }, i: number): { text: string; parts: HubMedia[] } {
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

  private toolOutput(output: ResponsesToolOutput | undefined, param: string): { text: string; parts: HubMedia[] } {
    if (typeof output === 'string') return { text: output, parts: [] };
    if (output === undefined || output === null) return { text: '', parts: [] };
    if (!Array.isArray(output)) {
      // Older shape: {content, success}.
      const c = (output as { content?: unknown }).content;
      if (typeof c === 'string') return { text: c, parts: [] };
      throw bad(`${param} must be a string or an array of content parts.`, param);
    }
    const texts: string[] = [];
    const parts: HubMedia[] = [];
    for (let j = 0; j < output.length; j++) {
      const p = output[j] as ResponsesContentPart;
      if (!isObject(p)) continue;
      const t = textOfPart(p);
      if (t !== undefined) texts.push(t);
      else if (p.type === 'input_image' || p.type === 'input_file') parts.push(this.mediaPart(p, `${param}[${j}]`));
      else this.dropped.add(`content:${typeLabel(p.type)}`);
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
      else this.dropped.add(`content:${typeLabel(p.type)}`);
    }
    return texts.join(sep);
  }

  private userContent(content: string | ResponsesContentPart[], param: string): string | HubPart[] {
    if (typeof content === 'string') return content;
    const parts: HubPart[] = [];
    let media = false;
    for (let j = 0; j < content.length; j++) {
      const p = content[j];
      if (!isObject(p)) throw bad(`${param}[${j}] must be a content part object.`, `${param}[${j}]`);
      const t = textOfPart(p as ResponsesContentPart);
      if (t !== undefined) parts.push({ type: 'text', text: t });
      else if (p.type === 'input_image' || p.type === 'input_file') {
        parts.push(this.mediaPart(p as ResponsesContentPart, `${param}[${j}]`));
        media = true;
      } else this.dropped.add(`content:${typeLabel(p.type)}`);
    }
    if (media) return parts;
    return parts.map((p) => (p as { text: string }).text).join('\n');
  }

  private mediaPart(p: ResponsesContentPart, param: string): HubMedia {
    if (p.type === 'input_image') {
      const url = (p as { image_url?: unknown }).image_url;
      if (typeof url !== 'string' || !url) {
        if ((p as { file_id?: unknown }).file_id !== undefined) {
          throw bad(
            `${param}: images referenced by 'file_id' cannot be resolved by the gateway (it keeps no files). Send the image inline as 'image_url' (a data: URL or an https URL).`,
            `${param}.file_id`,
            'unsupported_value',
          );
        }
        throw bad(`${param}.image_url must be a non-empty string.`, `${param}.image_url`);
      }
      const detail = (p as { detail?: unknown }).detail;
      return typeof detail === 'string' && CHAT_DETAIL.has(detail) ? { type: 'image', url, detail: detail as 'auto' | 'low' | 'high' } : { type: 'image', url };
    }
    const f = p as { file_id?: unknown; file_data?: unknown; filename?: unknown; file_url?: unknown };
    if (typeof f.file_id !== 'string' && typeof f.file_data !== 'string') {
      throw bad(`${param}: a file must be given as 'file_data' (base64) or 'file_id'.`, param, 'unsupported_value');
    }
    const file: HubMedia = { type: 'file' };
    if (typeof f.file_id === 'string') file.fileId = f.file_id;
    if (typeof f.file_data === 'string') file.fileData = f.file_data;
    if (typeof f.filename === 'string') file.filename = f.filename;
    return file;
  }

  private push(m: HubMessage): void {
    if (m.role !== 'system') this.flushLeadingSystem();
    this.messages.push(m);
  }

  /** Puts the merged leading system message first, once. */
  private flushLeadingSystem(): void {
    const ls = this.leadingSystem;
    if (ls === null) return;
    this.leadingSystem = null;
    this.system = ls.filter((s) => s.length > 0).join('\n\n');
  }

  /* ---------------------------------------------------------------- settings */

  /** Generation settings in hub terms (checked here; the upstream builder applies its body policy). */
  private settings(req: ResponsesRequest): HubSettings {
    const s: HubSettings = {};
    if (this.registry.chatTools.length) {
      const choice = this.toolChoice(req.tool_choice);
      if (choice !== undefined) s.toolChoice = choice;
      if (typeof req.parallel_tool_calls === 'boolean') s.parallelToolCalls = req.parallel_tool_calls;
    }
    if (req.max_output_tokens !== undefined && req.max_output_tokens !== null) {
      if (typeof req.max_output_tokens !== 'number' || !Number.isInteger(req.max_output_tokens) || req.max_output_tokens < 1) {
        throw bad("'max_output_tokens' must be a positive integer.", 'max_output_tokens');
      }
      s.maxOutputTokens = req.max_output_tokens;
    }
    for (const [k, h] of [['temperature', 'temperature'], ['top_p', 'topP']] as const) {
      const v = req[k];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`'${k}' must be a finite number.`, k);
      s[h] = v;
    }
    const reasoning = req.reasoning;
    if (isObject(reasoning) && typeof reasoning.effort === 'string' && reasoning.effort) s.reasoningEffort = reasoning.effort;
    const format = isObject(req.text) ? req.text.format : undefined;
    if (format !== undefined && format !== null) {
      const rf = responseFormat(format);
      if (rf) s.responseFormat = rf;
    }
    if (typeof req.user === 'string' && req.user) s.user = req.user;
    if (typeof req.prompt_cache_key === 'string' && req.prompt_cache_key) s.promptCacheKey = req.prompt_cache_key;
    return s;
  }

  private toolChoice(choice: ResponsesRequest['tool_choice']): HubToolChoice | undefined {
    if (choice === undefined || choice === null) return undefined;
    if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
    if (!isObject(choice)) throw bad("'tool_choice' must be auto, none, required or an object.", 'tool_choice');
    const c = choice as { type?: unknown; name?: unknown; mode?: unknown; namespace?: unknown };
    if ((c.type === 'function' || c.type === 'custom') && typeof c.name === 'string') {
      const ns = typeof c.namespace === 'string' && c.namespace ? c.namespace : undefined;
      return { name: this.registry.upstreamName(c.type, c.name, ns) };
    }
    if (c.type === 'allowed_tools') {
      this.dropped.add('tool_choice.allowed_tools');
      return c.mode === 'required' ? 'required' : 'auto';
    }
    // A hosted tool (web_search, ...) that was dropped: let the model choose.
    this.dropped.add(`tool_choice:${typeLabel(c.type)}`);
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

/** A call item's `namespace` when it is a non-empty string (anything else means "no namespace"). */
function namespaceOf(ns: unknown): string | undefined {
  return typeof ns === 'string' && ns ? ns : undefined;
}

function responseFormat(format: unknown): HubResponseFormat | undefined {
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
      const js: HubResponseFormat = { type: 'json_schema', name: format.name, schema: format.schema };
      if (typeof format.description === 'string') js.description = format.description;
      if (typeof format.strict === 'boolean') js.strict = format.strict;
      return js;
    }
    default:
      throw bad(`'text.format.type' ${typeof format.type === 'string' ? JSON.stringify(format.type) : typeLabel(format.type)} is not supported; use text, json_object or json_schema.`, 'text.format.type');
  }
}
