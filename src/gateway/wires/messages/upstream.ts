/**
 * The Anthropic Messages upstream adapter (`wire_api: messages`, provider `anthropic`): {@link HubRequest}
 * -> `POST /v1/messages` body ({@link buildMessagesRequest}), and the answer -> hub events
 * ({@link MessagesDecoder} for the SSE stream, {@link messagesJsonToEvents} for a whole `message`; both in
 * ./decode.ts, re-exported here).
 *
 * Conversation (Anthropic API reference, "Messages": `messages`, `system`; "Tool use"; "Extended thinking"):
 * - The hub's `system` is the first `system` text block. A later hub `system` message (Codex sends
 *   developer messages mid-session) becomes a text block `<system>…</system>` in the user turn at its
 *   place: Anthropic has no system role inside `messages`, and moving it into the top-level `system`
 *   would rewrite the start of the prompt (invalidating the prompt cache of the whole conversation on
 *   every such message) and lose when it was said.
 * - Roles must alternate starting with `user`: consecutive same-role turns are merged (assistant turns as
 *   thinking blocks, then texts, then tool_use blocks; user turns as tool_result blocks, then the rest in
 *   order). A conversation starting with an assistant turn gets a user turn {@link LEADING_USER_TEXT}
 *   first. No message at all (or only whitespace) is a 400.
 * - Text blocks must not be empty or whitespace only (Anthropic rejects them): such texts are left out,
 *   and a turn left empty is dropped. A final assistant turn (a prefill) loses its trailing whitespace
 *   (Anthropic: "final assistant content cannot end with trailing whitespace").
 * - User parts: text; images as `image` blocks (`data:` URLs -> base64 source with their media type, JPEG /
 *   PNG / GIF / WebP only; http(s) URLs -> url source); files (`file_data`, base64 or a data: URL) as
 *   `document` blocks: PDF -> base64 source, text/plain -> text source, titled with the filename. Any
 *   other image/file (another media type, a `file_id`, another URL scheme) is a GatewayError 400.
 * - Assistant turns: reasoning blocks first — a HubReasoning with `signature` -> `thinking` (text and
 *   signature byte-exact), with `redacted` -> `redacted_thinking`; plain-text reasoning (no signature,
 *   e.g. DeepSeek's) is dropped, because Anthropic rejects unsigned thinking — then the text, then
 *   `tool_use` blocks (`input` = the parsed arguments object; arguments that are not a JSON object are
 *   sent as `{}` and listed in `dropped` as `tool_use.input`: the call happened, its result follows, and a
 *   half-written argument text cannot be repaired). An assistant turn with neither text nor calls keeps no
 *   reasoning (Anthropic: "the final block in an assistant message cannot be thinking").
 * - Tool-call ids must match `^[a-zA-Z0-9_-]+$` and be unique: other ids are rewritten deterministically
 *   (invalid characters -> `_`, plus a hash) in both the tool_use and its tool_result.
 * - Hub `tool` messages -> `tool_result` blocks (`tool_use_id`, text and images as content, `is_error`)
 *   in the user turn right after the assistant turn, all results of that turn in call order and before
 *   any other block of that user turn; a call without a result gets {@link NO_OUTPUT_TEXT}; a result
 *   whose call is not in the previous assistant turn becomes user text. Files a tool returned follow the
 *   results as document blocks (labelled).
 *
 * Settings:
 * - `max_tokens` (required): the client's limit, else the deployment's (`opts.maxTokens`, or
 *   `max_completion_tokens` in its litellm_params), else {@link defaultMaxTokens} by model family.
 * - `reasoningEffort` -> `thinking: {type: "enabled", budget_tokens}` per {@link EFFORT_BUDGET}; `none` or
 *   absent -> no thinking; an unknown effort is ignored (listed). Without a client effort, the
 *   deployment's `reasoning_effort` or `thinking` object applies. The budget must be >= 1024 and below
 *   `max_tokens`: a budget at or above it is cut to half of `max_tokens`; below 1024 thinking is off
 *   (`thinking:max_tokens`). Thinking is also off when `tool_choice` forces a tool (Anthropic allows only
 *   auto/none with thinking: `thinking:tool_choice`), when the conversation ends inside a tool loop whose
 *   first assistant message does not start with a signed thinking block (`thinking:history`, e.g. the
 *   loop began on another provider before a fallback; Anthropic docs, "Extended thinking": thinking
 *   cannot be toggled within an assistant turn, tool loops are part of the turn, and "the final
 *   assistant turn should start with a thinking block"; the turn starts after the last user message
 *   without tool_result blocks), or when the conversation ends with an assistant turn
 *   (`thinking:prefill`; prefill is not allowed with thinking). With thinking on, `temperature`, `top_p` and `top_k`
 *   are dropped (listed; Anthropic rejects them with thinking); with thinking off, thinking blocks are
 *   not sent (Anthropic rejects them in a final assistant turn, and ignores them elsewhere).
 * - tools -> `{name, description, input_schema}` (`type: "object"` added when missing; `strict` is not
 *   sent); tool_choice auto/none/required/{name} -> `{type: auto|none|any|tool}`; `parallelToolCalls:
 *   false` -> `disable_parallel_tool_use: true` (not with `none`).
 * - `stop` -> `stop_sequences` (whitespace-only entries left out); `user` -> `metadata.user_id`;
 *   `promptCacheKey` has no Anthropic meaning and is ignored.
 * - `responseFormat` -> an extra system block after the client's instructions asking for one JSON object
 *   (with the schema for json_schema), listed as `response_format:system`: Anthropic's structured output
 *   is not available on every model and `response_format` itself would be rejected.
 * - Prompt caching: see ./cache.ts (default breakpoints on the last tool, the system block and the last
 *   two user turns; `cache_control_injection_points` in litellm_params overrides; `[]` or `cache_control`
 *   in `dropParamNames` turns it off).
 * - Body policy (as the Chat builder): `extraBody` (deployment litellm_params) gives defaults and the
 *   client's values win; OpenAI names in it are mapped (`stop`, `user`, `reasoning_effort`,
 *   `max_completion_tokens`, `parallel_tool_calls`; `response_format` and OpenAI-only parameters such as
 *   `frequency_penalty` or `seed` ({@link OPENAI_ONLY}) are listed and not sent); other keys are sent as
 *   written (`top_k`, `thinking`, `metadata`, `service_tier`, ...). A parameter in
 *   `dropParamNames` (Anthropic or OpenAI name) is dropped and listed when `dropParams` is on, else a
 *   GatewayError 400 names it; `thinking` (from Codex's automatic effort), `disable_parallel_tool_use` and
 *   `cache_control` are always dropped quietly (listed). `max_tokens` is required and never dropped.
 * - `stream: true` when `opts.stream`.
 */
import { GatewayError } from '../../errors';
import { NO_OUTPUT_TEXT, type HubMedia, type HubMessage, type HubPart, type HubReasoning, type HubRequest, type HubToolCall } from '../../hub/types';
import { fnv1a } from '../../translate/tools';
import { dropRejected } from '../policy';
import type { BuildOptions, BuiltRequest } from '../types';
import { parseCacheInjectionPoints, placeCacheBreakpoints, type CacheInjectionPoint } from './cache';
import type {
  MessagesAssistantBlock,
  MessagesDocumentBlock,
  MessagesImageBlock,
  MessagesMessage,
  MessagesRequest,
  MessagesTextBlock,
  MessagesThinking,
  MessagesTool,
  MessagesToolChoice,
  MessagesToolResultBlock,
  MessagesToolUseBlock,
  MessagesUserBlock,
} from './types';
import { isObject } from '../../translate/safe';

export { MessagesDecoder, messagesJsonToEvents, mapStopReason, messagesUsage } from './decode';

/**
 * Thinking budget (tokens) per reasoning effort, for `thinking.budget_tokens`. `minimal` is Anthropic's
 * minimum budget (1024); the others leave room for the answer below the default `max_tokens` (32000 for
 * Claude 3.7 / 4.x): low 4096, medium 8192, high 16384, xhigh 24576.
 */
export const EFFORT_BUDGET: Readonly<Record<string, number>> = Object.freeze({ minimal: 1024, low: 4096, medium: 8192, high: 16384, xhigh: 24576 });

/** Anthropic's smallest `budget_tokens` (docs, "Extended thinking": minimum budget 1,024 tokens). */
export const MIN_THINKING_BUDGET = 1024;

/** Largest default `max_tokens` for a non-streamed call, so a full-length answer fits the default 600 s timeout. */
export const NON_STREAM_DEFAULT_CAP = 16384;

/** Text of the user turn put first when the conversation starts with an assistant turn. */
export const LEADING_USER_TEXT = '(The conversation so far follows.)';

export { NO_OUTPUT_TEXT };

/**
 * `max_tokens` (tokens) sent when neither the client nor the deployment sets one. Anthropic requires it,
 * and it caps thinking plus answer. Per model family, below each family's maximum output (Anthropic docs,
 * "Models overview"): Claude 3 (Haiku/Sonnet/Opus) 4096; Claude 3.5 8192; Claude 3.7 and 4.x (and later
 * `claude-*` names) 32000, the smallest 4.x maximum (Opus 4 / 4.1) and what Claude Code sends; any other
 * model (Anthropic-compatible servers) 8192. Non-streamed calls get at most {@link NON_STREAM_DEFAULT_CAP}.
 * @param model upstream model name, e.g. `claude-sonnet-4-5-20250929`.
 * @param stream whether the call streams.
 */
export function defaultMaxTokens(model: string, stream: boolean): number {
  const m = model.toLowerCase();
  let n: number;
  if (/claude-3-(haiku|sonnet|opus)|claude-instant|claude-2/.test(m)) n = 4096;
  else if (/claude-3[-.]5/.test(m)) n = 8192;
  else if (/claude/.test(m)) n = 32000;
  else n = 8192;
  return stream ? n : Math.min(n, NON_STREAM_DEFAULT_CAP);
}

/** Params clients send by themselves (or the gateway adds); dropped quietly when the upstream rejects them. */
const AUTO_DROPPED = new Set(['thinking', 'disable_parallel_tool_use', 'cache_control']);
/** Other names a `dropParamNames` entry may use for an Anthropic param (OpenAI / Responses names). */
const ALIASES: Record<string, readonly string[]> = {
  stop_sequences: ['stop'],
  metadata: ['user'],
  thinking: ['reasoning_effort', 'reasoning'],
  disable_parallel_tool_use: ['parallel_tool_calls'],
};
/**
 * OpenAI parameters with no Messages meaning that a LiteLLM config may carry in litellm_params: never
 * sent (Anthropic rejects unknown fields), listed as `extra_body:<name>`.
 */
const OPENAI_ONLY = new Set([
  'frequency_penalty',
  'presence_penalty',
  'seed',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'n',
  'store',
  'prompt_cache_key',
  'prompt_cache_retention',
  'reasoning',
  'verbosity',
  'modalities',
  'audio',
  'prediction',
  'safety_identifier',
  'web_search_options',
  'enable_thinking',
  'include_reasoning',
]);
/** How the client named a setting, for messages. */
const CLIENT_NAME: Record<string, string> = { stop_sequences: 'stop', metadata: 'user', thinking: 'reasoning.effort' };
/** extraBody keys the builder owns or maps (never copied as they are). */
const OWNED_BODY_KEYS = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'tools',
  'tool_choice',
  'functions',
  'system',
  'max_tokens',
  'max_completion_tokens',
  'max_output_tokens',
  'cache_control_injection_points',
  'stop',
  'user',
  'reasoning_effort',
  'parallel_tool_calls',
  'response_format',
]);
const VALID_ID = /^[a-zA-Z0-9_-]+$/;
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

function unsupported(message: string, param: string | null = null): GatewayError {
  return new GatewayError(400, message, 'invalid_request_error', 'unsupported_value', param);
}

/**
 * A tool-call id valid on the Messages wire (Anthropic: `tool_use.id` matches `^[a-zA-Z0-9_-]+$`). A valid
 * id is returned as it is; another (e.g. Kimi's `functions.exec:0`) has each invalid character replaced by
 * `_` and `_` plus the FNV-1a hash of the original appended, so two ids never collapse into one and the
 * same id maps the same way in every request (stable prompt-cache prefix).
 */
export function messagesToolId(id: string): string {
  if (VALID_ID.test(id)) return id;
  return `${id.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 200) || 'toolu'}_${fnv1a(id)}`;
}

const hasText = (s: string | null | undefined): s is string => typeof s === 'string' && /\S/.test(s);

/** A user turn being built: its tool results (sent first) and its other blocks. */
interface UserTurn {
  role: 'user';
  results: MessagesToolResultBlock[];
  blocks: MessagesUserBlock[];
}
/** An assistant turn being built (merged turns append to each part). */
interface AssistantTurn {
  role: 'assistant';
  reasoning: MessagesAssistantBlock[];
  texts: MessagesTextBlock[];
  calls: MessagesToolUseBlock[];
}
type Turn = UserTurn | AssistantTurn;

/** The calls of the last assistant turn still waiting for their results. */
interface PendingCall {
  /** The hub's call id. */
  callId: string;
  /** The id sent upstream. */
  id: string;
  result?: MessagesToolResultBlock;
}

/**
 * Builds the Anthropic Messages body for one deployment (see the module comment for every rule).
 * @param hub the parsed client request.
 * @param opts the deployment's model, drop rules, defaults (`extraBody`, `maxTokens`) and stream flag.
 * @returns `body` (a {@link MessagesRequest}) and `dropped` (the hub's list plus what this builder left
 *   out, e.g. `thinking:tool_choice`, `temperature`, `tool_use.input`, `response_format:system`).
 * @throws GatewayError 400 `unsupported_value` for content Anthropic cannot take (an image that is not
 *   JPEG/PNG/GIF/WebP or not a data:/http(s) URL, a file that is not PDF or plain text, a `file_id`), when
 *   no message is left, and `unsupported_parameter` for a parameter in `dropParamNames` while `dropParams`
 *   is off.
 */
export function buildMessagesRequest(hub: HubRequest, opts: BuildOptions): BuiltRequest & { body: MessagesRequest } {
  return new MessagesBuilder(hub, opts).run();
}

class MessagesBuilder {
  private readonly dropped: Set<string>;
  private readonly turns: Turn[] = [];
  private pending: PendingCall[] | null = null;
  private readonly usedIds = new Set<string>();

  constructor(
    private readonly hub: HubRequest,
    private readonly opts: BuildOptions,
  ) {
    this.dropped = new Set(hub.dropped);
  }

  run(): BuiltRequest & { body: MessagesRequest } {
    for (const m of this.hub.messages) this.message(m);
    this.closePending();
    const messages = this.finishTurns();
    const body = this.buildBody(messages);
    return { body, dropped: [...this.dropped] };
  }

  /* ------------------------------------------------------------------ conversation */

  private userTurn(): UserTurn {
    const last = this.turns[this.turns.length - 1];
    if (last?.role === 'user') return last;
    const t: UserTurn = { role: 'user', results: [], blocks: [] };
    this.turns.push(t);
    return t;
  }

  private message(m: HubMessage): void {
    switch (m.role) {
      case 'system':
        if (hasText(m.text)) this.userTurn().blocks.push({ type: 'text', text: `<system>\n${m.text}\n</system>` });
        return;
      case 'user': {
        const blocks = typeof m.content === 'string' ? (hasText(m.content) ? [{ type: 'text' as const, text: m.content }] : []) : this.parts(m.content);
        if (blocks.length) {
          const t = this.userTurn();
          for (const b of blocks) t.blocks.push(b);
        }
        return;
      }
      case 'assistant':
        return this.assistant(m.text, m.reasoning ?? [], m.toolCalls ?? []);
      case 'tool':
        return this.toolResult(m.callId, m.text, m.media ?? [], m.isError === true);
    }
  }

  private assistant(text: string | null, reasoning: HubReasoning[], calls: HubToolCall[]): void {
    this.closePending();
    const keepText = hasText(text);
    if (!keepText && calls.length === 0) return; // nothing to say; its reasoning alone cannot stand (see module comment)
    const last = this.turns[this.turns.length - 1];
    let t: AssistantTurn;
    if (last?.role === 'assistant') t = last;
    else {
      t = { role: 'assistant', reasoning: [], texts: [], calls: [] };
      this.turns.push(t);
    }
    for (const r of reasoning) {
      if (r.redacted !== undefined && r.redacted !== '') t.reasoning.push({ type: 'redacted_thinking', data: r.redacted });
      else if (r.signature !== undefined && r.signature !== '') t.reasoning.push({ type: 'thinking', thinking: r.text, signature: r.signature });
      // else: plain text reasoning, which Anthropic would reject unsigned
    }
    if (keepText) t.texts.push({ type: 'text', text: text! });
    if (calls.length) {
      this.pending = [];
      for (const c of calls) {
        const base = messagesToolId(c.id);
        let id = base;
        for (let n = 2; this.usedIds.has(id); n++) id = `${base}_${n}`;
        this.usedIds.add(id);
        t.calls.push({ type: 'tool_use', id, name: c.name, input: this.input(c.arguments) });
        this.pending.push({ callId: c.id, id });
      }
    }
  }

  /** The arguments object of a call; `{}` (listed) when the text is not a JSON object. */
  private input(args: string): Record<string, unknown> {
    if (!args.trim()) return {};
    try {
      const v: unknown = JSON.parse(args);
      if (isObject(v)) return v;
    } catch {
      /* below */
    }
    this.dropped.add('tool_use.input');
    return {};
  }

  private toolResult(callId: string, text: string, media: HubMedia[], isError: boolean): void {
    const p = this.pending?.find((x) => x.callId === callId && !x.result);
    const images: MessagesImageBlock[] = [];
    const files: MessagesDocumentBlock[] = [];
    for (const x of media) {
      if (x.type === 'image') images.push(this.image(x.url));
      else files.push(this.document(x));
    }
    if (!p) {
      // Its call is not in the previous assistant turn: keep the output as user text.
      const t = this.userTurn();
      t.blocks.push({ type: 'text', text: `Output of tool call ${callId}:\n${text}` });
      for (const b of images) t.blocks.push(b);
      for (const b of files) t.blocks.push(b);
      return;
    }
    const content: (MessagesTextBlock | MessagesImageBlock)[] = [];
    if (hasText(text)) content.push({ type: 'text', text });
    for (const b of images) content.push(b);
    const r: MessagesToolResultBlock = { type: 'tool_result', tool_use_id: p.id };
    if (content.length) r.content = content;
    if (isError) r.is_error = true;
    p.result = r;
    const t = this.userTurn(); // the turn right after the assistant turn (only user turns follow it)
    if (files.length) {
      t.blocks.push({ type: 'text', text: `Files returned by tool call ${p.id}:` });
      for (const b of files) t.blocks.push(b);
    }
  }

  /** Puts the results of the last assistant turn's calls (in call order) first in the following user turn. */
  private closePending(): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    const results: MessagesToolResultBlock[] = [];
    for (const p of pending) results.push(p.result ?? { type: 'tool_result', tool_use_id: p.id, content: [{ type: 'text', text: NO_OUTPUT_TEXT }] });
    const t = this.userTurn();
    t.results = [...results, ...t.results];
  }

  private parts(parts: HubPart[]): MessagesUserBlock[] {
    const out: MessagesUserBlock[] = [];
    for (const p of parts) {
      if (p.type === 'text') {
        if (hasText(p.text)) out.push({ type: 'text', text: p.text });
      } else if (p.type === 'image') out.push(this.image(p.url));
      else out.push(this.document(p));
    }
    return out;
  }

  private image(url: string): MessagesImageBlock {
    if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
    const d = parseDataUrl(url);
    if (d && d.base64) {
      const mt = d.mediaType === 'image/jpg' ? 'image/jpeg' : d.mediaType;
      if (IMAGE_TYPES.has(mt)) return { type: 'image', source: { type: 'base64', media_type: mt, data: d.data } };
      throw unsupported(`Images of type ${mt || 'unknown'} cannot be sent to model '${this.opts.model}' (Anthropic Messages takes JPEG, PNG, GIF and WebP). Convert the image to one of these types.`, 'input');
    }
    throw unsupported(`An image must be a base64 data: URL or an http(s) URL for model '${this.opts.model}' (Anthropic Messages); got ${d ? 'a data: URL that is not base64' : 'another kind of URL'}.`, 'input');
  }

  private document(f: Extract<HubMedia, { type: 'file' }>): MessagesDocumentBlock {
    if (f.fileData === undefined || f.fileData === '') {
      throw unsupported(
        `Files referenced by 'file_id' cannot be sent to model '${this.opts.model}' (Anthropic Messages has no access to OpenAI files). Send the file inline as 'file_data' (base64).`,
        'input',
      );
    }
    let mediaType = '';
    let data = f.fileData;
    const d = parseDataUrl(f.fileData);
    if (d) {
      if (!d.base64) throw unsupported(`A file given as a data: URL must be base64 for model '${this.opts.model}' (Anthropic Messages).`, 'input');
      mediaType = d.mediaType;
      data = d.data;
    }
    const name = f.filename?.toLowerCase() ?? '';
    if (!mediaType || mediaType === 'application/octet-stream') {
      if (name.endsWith('.pdf') || data.startsWith('JVBERi0')) mediaType = 'application/pdf';
      else if (/\.(txt|md|markdown|text|log|csv)$/.test(name)) mediaType = 'text/plain';
    }
    const title = f.filename ? { title: f.filename } : {};
    if (mediaType === 'application/pdf') return { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data }, ...title };
    if (mediaType === 'text/plain') {
      const text = Buffer.from(data, 'base64').toString('utf8');
      return { type: 'document', source: { type: 'text', media_type: 'text/plain', data: text }, ...title };
    }
    throw unsupported(
      `The file ${f.filename ? `'${f.filename}' ` : ''}(${mediaType || 'unknown type'}) cannot be sent to model '${this.opts.model}': Anthropic Messages takes PDF and plain-text documents only. Convert it to PDF or text, or paste its content.`,
      'input',
    );
  }

  /** Turns -> `messages`: a user turn first, empty turns gone, a final assistant turn without trailing whitespace. */
  private finishTurns(): MessagesMessage[] {
    const out: MessagesMessage[] = [];
    for (const t of this.turns) {
      if (t.role === 'user') {
        const content: MessagesUserBlock[] = [...t.results];
        for (const b of t.blocks) content.push(b);
        if (content.length) out.push({ role: 'user', content });
      } else {
        const content: MessagesAssistantBlock[] = [...t.reasoning];
        for (const b of t.texts) content.push(b);
        for (const b of t.calls) content.push(b);
        if (content.length) out.push({ role: 'assistant', content });
      }
    }
    if (out.length === 0) {
      throw new GatewayError(
        400,
        `The request has no message with content for model '${this.opts.model}' (Anthropic Messages needs at least one non-empty user message).`,
        'invalid_request_error',
        'invalid_value',
        'input',
      );
    }
    if (out[0]!.role === 'assistant') out.unshift({ role: 'user', content: [{ type: 'text', text: LEADING_USER_TEXT }] });
    const last = out[out.length - 1]!;
    if (last.role === 'assistant') {
      const lb = last.content[last.content.length - 1]!;
      if (lb.type === 'text') {
        lb.text = lb.text.replace(/\s+$/, '');
        if (!lb.text) last.content.pop();
        if (!last.content.some((b) => b.type === 'text' || b.type === 'tool_use')) out.pop();
      }
    }
    return out;
  }

  /* ------------------------------------------------------------------ parameters */

  private rejected(name: string): boolean {
    const names = this.opts.dropParamNames;
    if (names.size === 0) return false;
    if (names.has(name)) return true;
    return (ALIASES[name] ?? []).some((a) => names.has(a));
  }

  /**
   * Whether a param may be sent: true unless the upstream rejects it; then it is dropped (listed) when
   * `dropParams` is on or it is one the client sends by itself, else a 400 names it.
   */
  private allowed(name: string): boolean {
    return !this.rejected(name) || dropRejected(name, CLIENT_NAME[name] ?? name, this.opts, AUTO_DROPPED, this.dropped);
  }

  private buildBody(messages: MessagesMessage[]): MessagesRequest {
    const s = this.hub.settings;
    const extra = this.opts.extraBody ?? {};
    const body: MessagesRequest = { model: this.opts.model, max_tokens: 0, messages };
    // Deployment defaults first (client values set below win).
    for (const k in extra) {
      if (OWNED_BODY_KEYS.has(k) || extra[k] === undefined || extra[k] === null) continue;
      if (OPENAI_ONLY.has(k)) this.dropped.add(`extra_body:${k}`);
      else if (this.allowed(k)) body[k] = extra[k];
    }
    if (extra.response_format !== undefined && extra.response_format !== null) this.dropped.add('extra_body:response_format');

    // System: the client's instructions, then the response-format instruction.
    const system: MessagesTextBlock[] = [];
    let systemIndex = -1;
    if (hasText(this.hub.system)) {
      systemIndex = 0;
      system.push({ type: 'text', text: this.hub.system });
    }
    if (s.responseFormat) {
      system.push({ type: 'text', text: formatInstruction(s.responseFormat) });
      this.dropped.add('response_format:system');
    }
    if (system.length) body.system = system;

    // Tools and tool_choice.
    let tools: MessagesTool[] = [];
    let choice: MessagesToolChoice | undefined;
    if (this.hub.tools.length && this.allowed('tools')) {
      tools = this.hub.tools.map((t) => {
        const tool: MessagesTool = { name: t.name, input_schema: inputSchema(t.parameters) };
        if (t.description) tool.description = t.description;
        return tool;
      });
      body.tools = tools;
      const c = s.toolChoice;
      if (c !== undefined && this.allowed('tool_choice')) {
        choice = c === 'auto' ? { type: 'auto' } : c === 'none' ? { type: 'none' } : c === 'required' ? { type: 'any' } : { type: 'tool', name: c.name };
      }
      const parallel = s.parallelToolCalls ?? (typeof extra.parallel_tool_calls === 'boolean' ? extra.parallel_tool_calls : undefined);
      if (parallel === false && choice?.type !== 'none' && this.allowed('disable_parallel_tool_use')) {
        choice = { ...(choice ?? { type: 'auto' }), disable_parallel_tool_use: true } as MessagesToolChoice;
      }
      if (choice) body.tool_choice = choice;
    }

    // max_tokens (required).
    const deploymentMax = this.opts.maxTokens ?? posInt(extra.max_tokens) ?? posInt(extra.max_completion_tokens) ?? posInt(extra.max_output_tokens);
    body.max_tokens = s.maxOutputTokens ?? deploymentMax ?? defaultMaxTokens(this.opts.model, this.opts.stream);

    // Sampling (thinking may drop them below).
    // Anthropic takes temperature in [0, 1] (OpenAI: [0, 2]): a higher value is sent as 1 and listed.
    if (s.temperature !== undefined && this.allowed('temperature')) {
      body.temperature = Math.min(1, Math.max(0, s.temperature));
      if (body.temperature !== s.temperature) this.dropped.add('temperature:clamped');
    }
    if (s.topP !== undefined && this.allowed('top_p')) body.top_p = s.topP;

    // Thinking.
    const thinking = this.thinking(body, messages, choice);
    if (thinking && this.allowed('thinking')) body.thinking = thinking;
    else delete body.thinking;
    const thinkingOn = body.thinking !== undefined && (body.thinking as MessagesThinking).type !== 'disabled';
    if (thinkingOn) {
      for (const k of ['temperature', 'top_p', 'top_k'] as const) {
        if (body[k] !== undefined) {
          delete body[k];
          this.dropped.add(k);
        }
      }
    } else {
      for (const m of messages) if (m.role === 'assistant') m.content = m.content.filter((b) => b.type !== 'thinking' && b.type !== 'redacted_thinking');
    }

    // stop, user.
    const stop = s.stop ?? stopList(extra.stop);
    if (stop) {
      const seqs = stop.filter((x) => hasText(x));
      if (seqs.length && this.allowed('stop_sequences')) body.stop_sequences = seqs;
    }
    const user = s.user ?? (typeof extra.user === 'string' ? extra.user : undefined);
    // metadata.user_id is at most 256 characters (Anthropic API reference, "Create a Message"); a longer `user` is left out and listed.
    if (user !== undefined && user.length > 256) this.dropped.add('user:too_long');
    else if (user !== undefined && user !== '' && this.allowed('metadata')) body.metadata = { ...(isObject(body.metadata) ? body.metadata : {}), user_id: user };

    // Prompt caching.
    const configured = extra.cache_control_injection_points;
    let points: CacheInjectionPoint[] | undefined;
    if (configured !== undefined && configured !== null) {
      const parsed = parseCacheInjectionPoints(configured);
      points = parsed.points;
      for (const p of parsed.problems) this.dropped.add(`cache_control_injection_points${p.startsWith('[') ? p.slice(0, p.indexOf(']') + 1) : ''}`);
    }
    if (points?.length !== 0 && this.allowed('cache_control')) {
      const r = placeCacheBreakpoints({ tools, system, systemIndex, messages }, points);
      for (const n of r.notes) this.dropped.add(n);
    }

    if (this.opts.stream) body.stream = true;
    else delete body.stream;
    return body;
  }

  /**
   * The `thinking` object for this request, or undefined (see the module comment for the rules and the
   * `thinking:*` notes).
   */
  private thinking(body: MessagesRequest, messages: MessagesMessage[], choice: MessagesToolChoice | undefined): MessagesThinking | undefined {
    const s = this.hub.settings;
    const extra = this.opts.extraBody ?? {};
    const effort = s.reasoningEffort ?? (typeof extra.reasoning_effort === 'string' ? extra.reasoning_effort : undefined);
    let t: MessagesThinking | undefined;
    if (effort !== undefined) {
      if (effort === 'none') return undefined;
      const budget = EFFORT_BUDGET[effort];
      if (budget === undefined || !Object.prototype.hasOwnProperty.call(EFFORT_BUDGET, effort)) {
        this.dropped.add(`reasoning.effort:${effort}`);
        return undefined;
      }
      t = { type: 'enabled', budget_tokens: budget };
    } else if (isObject(body.thinking)) {
      t = { ...(body.thinking as MessagesThinking) };
    }
    if (!t || t.type === 'disabled') return t;
    if (choice?.type === 'any' || choice?.type === 'tool') {
      this.dropped.add('thinking:tool_choice');
      return undefined;
    }
    const last = messages[messages.length - 1]!;
    if (last.role === 'assistant') {
      this.dropped.add('thinking:prefill');
      return undefined;
    }
    if (last.content.some((b) => b.type === 'tool_result')) {
      // Inside a tool loop: the assistant turn began after the last user message without tool results.
      let start = messages.length - 1;
      while (start >= 0 && !(messages[start]!.role === 'user' && !messages[start]!.content.some((b) => b.type === 'tool_result'))) start--;
      const opening = messages[start + 1];
      const first = opening?.role === 'assistant' ? opening.content[0] : undefined;
      if (!first || (first.type !== 'thinking' && first.type !== 'redacted_thinking')) {
        this.dropped.add('thinking:history');
        return undefined;
      }
    }
    if (t.type === 'enabled') {
      let budget = typeof t.budget_tokens === 'number' && Number.isFinite(t.budget_tokens) ? Math.floor(t.budget_tokens) : MIN_THINKING_BUDGET;
      if (budget >= body.max_tokens) budget = Math.floor(body.max_tokens / 2);
      if (budget < MIN_THINKING_BUDGET) {
        this.dropped.add('thinking:max_tokens');
        return undefined;
      }
      t = { type: 'enabled', budget_tokens: budget };
    }
    return t;
  }
}

/** A parsed `data:` URL. */
function parseDataUrl(url: string): { mediaType: string; base64: boolean; data: string } | undefined {
  if (!url.startsWith('data:')) return undefined;
  const comma = url.indexOf(',');
  if (comma < 0) return undefined;
  const meta = url.slice(5, comma).split(';');
  return { mediaType: (meta[0] ?? '').trim().toLowerCase(), base64: meta.slice(1).some((x) => x.trim().toLowerCase() === 'base64'), data: url.slice(comma + 1) };
}

/** A tool's `input_schema`: the parameters, with `type: "object"` (Anthropic requires it). */
function inputSchema(p: Record<string, unknown>): Record<string, unknown> {
  if (!isObject(p) || Object.keys(p).length === 0) return { type: 'object', properties: {} };
  if (p.type === 'object') return p;
  return { ...p, type: 'object' };
}

function posInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

function stopList(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return undefined;
}

/** The system instruction standing in for `response_format`. */
function formatInstruction(rf: NonNullable<HubRequest['settings']['responseFormat']>): string {
  const base = 'Respond with a single valid JSON object and nothing else: no prose before or after it, no Markdown code fences.';
  if (rf.type === 'json_object') return base;
  const desc = rf.description ? ` (${rf.description})` : '';
  return `${base} The object must conform to this JSON Schema named "${rf.name}"${desc}:\n${JSON.stringify(rf.schema)}`;
}
